using Grpc.Core;
using Grpc.Net.Client;
using LogCluster.Protocol.V1;

namespace LogCluster.Cli.ClientCommands;

/// <summary>
/// Admin calls for the CLI: tried on each node of <c>--bootstrap-server</c> in turn until one answers (any node
/// forwards topic changes to the controller), each call bounded so a command never hangs on a silent node.
/// </summary>
internal sealed class AdminConnection(string bootstrapServers)
{
    private static readonly TimeSpan _callTimeout = TimeSpan.FromSeconds(30);

    private IEnumerable<string> Nodes => bootstrapServers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public async Task<T> CallAsync<T>(Func<AdminService.AdminServiceClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        RpcException? unreachable = null;
        foreach (var node in Nodes)
        {
            using var channel = GrpcChannel.ForAddress($"http://{node}");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_callTimeout);
            try
            {
                return await call(new AdminService.AdminServiceClient(channel), timeout.Token);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                // Nothing was sent: the next node may answer.
                unreachable = e;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && !cancellationToken.IsCancellationRequested)
            {
                throw new CommandFailure($"{node} did not answer within {_callTimeout.TotalSeconds:N0} s");
            }
            catch (RpcException e)
            {
                throw new CommandFailure($"{node} failed the call: {e.StatusCode} {e.Status.Detail}");
            }
        }
        throw new CommandFailure($"cannot reach {bootstrapServers}: {unreachable?.Status.Detail ?? "no address given"}");
    }

    /// <summary>The topic's partitions, or a failure that names the topic when it does not exist.</summary>
    public async Task<TopicMetadata> DescribeTopicAsync(string topic, CancellationToken cancellationToken)
    {
        var response = await CallAsync((admin, token) => admin.MetadataAsync(new MetadataRequest { Topics = { topic } }, cancellationToken: token).ResponseAsync, cancellationToken);
        var metadata = response.Topics.Single();
        return metadata.ErrorCode switch
        {
            ErrorCode.None => metadata,
            ErrorCode.UnknownTopicOrPartition => throw new CommandFailure($"topic '{topic}' does not exist"),
            var code => throw new CommandFailure($"topic '{topic}': {code}"),
        };
    }
}
