using System;
using System.Collections.Generic;
using System.Globalization;

namespace Pathwise.Cli.Data;

/// <summary>
/// Which images a command works on: <c>all</c>, one index (<c>17</c>), an inclusive range (<c>0-9</c>) or a comma
/// list of both (<c>0-4,17,30-32</c>). Indices are 0-based positions in the data file.
/// </summary>
internal static class ImageSelection
{
    /// <summary>The syntax, for help and error messages.</summary>
    public const string Syntax = "an index (17), an inclusive range (0-9), a comma list (0-4,17) or all";

    /// <summary>
    /// The indices <paramref name="text"/> names, in order and without repeats, each checked against
    /// <paramref name="count"/> images.
    /// </summary>
    /// <exception cref="CliException">The text is not in the syntax, or an index is not below <paramref name="count"/> (exit code 1).</exception>
    public static int[] Parse(string text, int count)
    {
        if (string.Equals(text.Trim(), "all", StringComparison.OrdinalIgnoreCase))
        {
            var all = new int[count];
            for (int i = 0; i < count; i++)
            {
                all[i] = i;
            }

            return all;
        }

        var indices = new List<int>();
        var seen = new HashSet<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length is < 1 or > 2 || !TryIndex(ends[0], out int first) || !TryIndex(ends[^1], out int last) || last < first)
            {
                throw CliException.BadInput($"--images '{text}': '{part}' is not {Syntax}.");
            }

            if (last >= count)
            {
                throw CliException.BadInput($"--images '{text}': image {last} does not exist; the data holds {count} images (0 to {count - 1}).");
            }

            for (int i = first; i <= last; i++)
            {
                if (seen.Add(i))
                {
                    indices.Add(i);
                }
            }
        }

        return [.. indices];
    }

    private static bool TryIndex(string text, out int index) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index);
}
