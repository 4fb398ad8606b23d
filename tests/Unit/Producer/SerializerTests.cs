using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using LogCluster.Producer;

namespace LogCluster.Tests.Unit.Producer;

public class SerializerTests
{
    private static readonly SerializationContext _value = new("orders", IsKey: false);

    public sealed record Order(string Id, int Quantity);

    [Fact]
    public void Int32_One_IsFourBigEndianBytes()
    {
        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x01 }, Serializers.Int32.Serialize(1, _value));
    }

    [Fact]
    public void Int64_MinusOne_IsEightFfBytes()
    {
        Assert.Equal(Enumerable.Repeat((byte)0xFF, 8).ToArray(), Serializers.Int64.Serialize(-1, _value));
    }

    [Theory]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(0x01020304)]
    [InlineData(int.MaxValue)]
    public void Int32_AnyValue_RoundTrips(int value)
    {
        var bytes = Serializers.Int32.Serialize(value, _value)!;

        Assert.Equal(value, BinaryPrimitives.ReadInt32BigEndian(bytes));
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(-1L)]
    [InlineData(0L)]
    [InlineData(0x0102030405060708L)]
    [InlineData(long.MaxValue)]
    public void Int64_AnyValue_RoundTrips(long value)
    {
        var bytes = Serializers.Int64.Serialize(value, _value)!;

        Assert.Equal(value, BinaryPrimitives.ReadInt64BigEndian(bytes));
    }

    [Fact]
    public void Utf8_EAcute_IsC3A9()
    {
        Assert.Equal(new byte[] { 0xC3, 0xA9 }, Serializers.Utf8.Serialize("é", _value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain ascii")]
    [InlineData("日本語 and emoji 🎉")]
    public void Utf8_AnyString_RoundTrips(string value)
    {
        var bytes = Serializers.Utf8.Serialize(value, _value)!;

        Assert.Equal(value, Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Utf8_Null_StaysNull()
    {
        Assert.Null(Serializers.Utf8.Serialize(null, _value));
    }

    [Fact]
    public void ByteArray_AnyArray_PassesTheSameArrayThrough()
    {
        var data = new byte[] { 1, 2, 3 };

        Assert.Same(data, Serializers.ByteArray.Serialize(data, _value));
        Assert.Null(Serializers.ByteArray.Serialize(null, _value));
    }

    [Fact]
    public void Json_Record_IsUtf8JsonThatRoundTrips()
    {
        var order = new Order("a-1", 3);

        var bytes = Serializers.Json<Order>().Serialize(order, _value)!;

        Assert.Equal("""{"Id":"a-1","Quantity":3}""", Encoding.UTF8.GetString(bytes));
        Assert.Equal(order, JsonSerializer.Deserialize<Order>(bytes));
    }

    [Fact]
    public void Json_WithOptions_UsesThem()
    {
        var bytes = Serializers.Json<Order>(new JsonSerializerOptions(JsonSerializerDefaults.Web)).Serialize(new Order("a-1", 3), _value)!;

        Assert.Equal("""{"id":"a-1","quantity":3}""", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Json_Null_IsANullRecordNotTheTextNull()
    {
        Assert.Null(Serializers.Json<Order?>().Serialize(null, _value));
        Assert.Null(Serializers.Json<int?>().Serialize(null, _value));
    }

    [Fact]
    public void Default_BuiltInTypes_ResolveToTheBuiltInSerializers()
    {
        Assert.Same(Serializers.ByteArray, Serializers.Default<byte[]>());
        Assert.Same(Serializers.Utf8, Serializers.Default<string>());
        Assert.Same(Serializers.Int32, Serializers.Default<int>());
        Assert.Same(Serializers.Int64, Serializers.Default<long>());
    }

    [Fact]
    public void Default_OtherType_ThrowsNamingTheBuilderMethods()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Serializers.Default<Order>());

        Assert.Contains(nameof(Order), error.Message, StringComparison.Ordinal);
        Assert.Contains("SetKeySerializer", error.Message, StringComparison.Ordinal);
        Assert.Contains("SetValueSerializer", error.Message, StringComparison.Ordinal);
    }
}
