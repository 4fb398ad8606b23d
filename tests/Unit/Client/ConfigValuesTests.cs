using LogCluster.Client.Configuration;

namespace LogCluster.Tests.Unit.Client;

public class ConfigValuesTests
{
    private enum Color
    {
        Red,
        Green,
    }

    private static readonly EnumSpellings<Color> _colors = new(("red", Color.Red), ("green", Color.Green), ("verde", Color.Green));

    [Theory]
    [InlineData("1", 1)]
    [InlineData("10", 10)]
    [InlineData("-0", 0)]
    public void ParseInt32_InRange_GivesValue(string value, int expected)
    {
        Assert.Equal(expected, ConfigValues.ParseInt32("k", value, min: 0, max: 10));
    }

    [Theory]
    [InlineData("11")]
    [InlineData("-1")]
    [InlineData("1 0")]
    [InlineData("0x1")]
    [InlineData("1,000")]
    [InlineData("")]
    public void ParseInt32_OutOfRangeOrNotAnInteger_ThrowsWithRange(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => ConfigValues.ParseInt32("k", value, min: 0, max: 10));

        Assert.Equal($"k must be an integer in [0, 10], got '{value}'", error.Message);
    }

    [Fact]
    public void ParseMilliseconds_Integer_GivesTimeSpan()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(1500), ConfigValues.ParseMilliseconds("x.ms", "1500", min: 0));
    }

    [Fact]
    public void ParseMilliseconds_NotAnInteger_ThrowsWithRangeInMilliseconds()
    {
        var error = Assert.Throws<ArgumentException>(() => ConfigValues.ParseMilliseconds("linger.ms", "soon", min: 0));

        Assert.Equal("linger.ms must be an integer in [0, 2147483647] milliseconds, got 'soon'", error.Message);
    }

    [Theory]
    [InlineData(1500.9, "1500")]
    [InlineData(-0.1, "-1")]
    public void FormatMilliseconds_Fraction_RoundsDown(double milliseconds, string expected)
    {
        Assert.Equal(expected, ConfigValues.FormatMilliseconds(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    public void ParseBoolean_TrueOrFalseInAnyCase_GivesValue(string value, bool expected)
    {
        Assert.Equal(expected, ConfigValues.ParseBoolean("k", value));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("yes")]
    [InlineData("")]
    public void ParseBoolean_Other_Throws(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => ConfigValues.ParseBoolean("k", value));

        Assert.Equal($"k must be true or false, got '{value}'", error.Message);
    }

    [Fact]
    public void EnumSpellings_EverySpelling_ParsesAndFormatsCanonically()
    {
        Assert.Equal(Color.Green, _colors.Parse("color", "verde"));
        Assert.Equal("green", _colors.Format(Color.Green));
        Assert.Equal("2", _colors.Format((Color)2));
    }

    [Fact]
    public void EnumSpellings_OtherCase_ThrowsListingSpellings()
    {
        var error = Assert.Throws<ArgumentException>(() => _colors.Parse("color", "Red"));

        Assert.Equal("color must be one of red, green, verde, got 'Red'", error.Message);
    }
}
