using LogCluster.LogNode.Metadata.Controller;
using LogCluster.LogNode.Storage;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Metadata;

public sealed class NodeSessionsTests
{
    private static readonly TimeSpan _interval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan _session = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan _grace = TimeSpan.FromMilliseconds(250);
    private readonly FakeTimeProvider _time = new();
    private readonly NodeSessions _sessions;

    public NodeSessionsTests() => _sessions = new NodeSessions(new ControllerSettings(_interval, _session, _grace, TopicConfig.Default), _time);

    [Fact]
    public void Expired_StreamResetAndNoHeartbeatWithinTheGrace_FencedForTheReset()
    {
        var stream = _sessions.NewStream();
        _sessions.Heard(1, stream);

        Assert.True(_sessions.StreamReset(1, stream));
        _time.Advance(_grace - TimeSpan.FromMilliseconds(1));
        Assert.Null(_sessions.Expired(1));
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(FenceReason.StreamReset, _sessions.Expired(1));
    }

    [Fact]
    public void Expired_StreamResetThenANewStreamWithinTheGrace_NotFenced()
    {
        var old = _sessions.NewStream();
        _sessions.Heard(1, old);
        _sessions.StreamReset(1, old);
        _time.Advance(_grace / 2);

        _sessions.Heard(1, _sessions.NewStream());
        _time.Advance(_grace);

        Assert.Null(_sessions.Expired(1));
    }

    [Fact]
    public void StreamReset_OfAStreamTheNodeAlreadyReplaced_Ignored()
    {
        var old = _sessions.NewStream();
        _sessions.Heard(1, old);
        _sessions.Heard(1, _sessions.NewStream());

        Assert.False(_sessions.StreamReset(1, old));
        _time.Advance(_grace * 2);

        Assert.Null(_sessions.Expired(1));
    }

    [Fact]
    public void Expired_SilentWithTheStreamOpen_FencedOnlyAfterTheSessionTimeout()
    {
        _sessions.Heard(1, _sessions.NewStream());

        _time.Advance(_session);
        Assert.Null(_sessions.Expired(1));
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(FenceReason.SessionExpired, _sessions.Expired(1));
    }

    [Fact]
    public void StartSessions_NewController_EveryNodeJustHeardAndEarlierResetsForgotten()
    {
        var stream = _sessions.NewStream();
        _sessions.Heard(1, stream);
        _sessions.StreamReset(1, stream);
        _time.Advance(_session * 2);

        _sessions.StartSessions([1, 2]);
        _time.Advance(_session);

        Assert.Null(_sessions.Expired(1));
        Assert.Null(_sessions.Expired(2));
        Assert.False(_sessions.StreamReset(1, stream));
    }

    [Fact]
    public void UntilNextCheck_AGraceEndsBeforeTheInterval_WaitsOnlyUntilThen()
    {
        var stream = _sessions.NewStream();
        _sessions.Heard(1, stream);
        Assert.Equal(_interval / 2, _sessions.UntilNextCheck(_interval / 2));

        _sessions.StreamReset(1, stream);
        _time.Advance(_grace - TimeSpan.FromMilliseconds(40));

        Assert.Equal(TimeSpan.FromMilliseconds(40), _sessions.UntilNextCheck(_interval / 2));
        _time.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal(_interval / 2, _sessions.UntilNextCheck(_interval / 2));
    }
}
