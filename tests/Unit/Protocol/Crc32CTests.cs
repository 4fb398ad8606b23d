using System.Text;
using LogCluster.Protocol.Records;

namespace LogCluster.Tests.Unit.Protocol;

public class Crc32CTests
{
    [Fact]
    public void Compute_CheckString_GivesStandardCheckValue()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Compute_ReferenceImplementation_GivesStandardCheckValue()
    {
        Assert.Equal(0xE3069283u, ReferenceCrc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Compute_RandomBuffers_AgreesWithBitwiseReference()
    {
        for (var seed = 1; seed <= 20; seed++)
        {
            var random = new Random(seed);
            for (var length = 0; length <= 100; length++)
            {
                var data = new byte[length];
                random.NextBytes(data);
                var expected = ReferenceCrc32C.Compute(data);
                var actual = Crc32C.Compute(data);
                Assert.True(expected == actual, $"seed {seed}, length {length}: 0x{actual:X8}, reference 0x{expected:X8}");
            }
        }
    }

    [Fact]
    public void Append_InPieces_EqualsOneShot()
    {
        var random = new Random(7);
        var data = new byte[100];
        random.NextBytes(data);
        for (var split = 0; split <= data.Length; split++)
        {
            var state = Crc32C.Append(Crc32C.Start, data.AsSpan(0, split));
            var pieces = Crc32C.Finish(Crc32C.Append(state, data.AsSpan(split)));
            Assert.True(Crc32C.Compute(data) == pieces, $"split at {split}");
        }
    }
}
