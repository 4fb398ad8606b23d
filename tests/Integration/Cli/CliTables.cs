namespace LogCluster.Tests.Integration.Cli;

/// <summary>Reads the rows of the tables the CLI draws (Spectre box drawing, or ASCII when the terminal has no Unicode).</summary>
internal static class CliTables
{
    /// <summary>Every table row, header rows included, as its trimmed cells.</summary>
    public static List<string[]> Rows(string output) =>
    [
        .. output.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith('│') || line.StartsWith('|'))
            .Select(line => line.Trim('│', '|').Split('│', '|').Select(cell => cell.Trim()).ToArray()),
    ];
}
