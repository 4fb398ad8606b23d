using Spectre.Console;

namespace LogCluster.Cli.ClientCommands;

/// <summary>Spectre rendering (tables, colours) to a command's own writer rather than to the process console.</summary>
internal static class SpectreConsole
{
    /// <summary>Wide enough for any line these commands print.</summary>
    private const int PipedWidth = 240;

    /// <summary>
    /// A console on <paramref name="output"/>: colours and the terminal's width when it is one; otherwise (piped,
    /// or a test) plain text not wrapped at Spectre's default 80 columns, so scripts and logs get whole lines.
    /// </summary>
    public static IAnsiConsole For(TextWriter output)
    {
        var target = new AnsiConsoleOutput(output);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = target, Ansi = target.IsTerminal ? AnsiSupport.Detect : AnsiSupport.No });
        if (!target.IsTerminal)
        {
            console.Profile.Width = PipedWidth;
        }
        return console;
    }
}
