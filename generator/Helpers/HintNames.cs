using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Pathwise.Generator.Helpers;

/// <summary>
/// File names of the generated sources. The compiler wants them unique ignoring case and made of file-name
/// characters, while type names may differ only in case (<c>Net</c>, <c>net</c>) or use any Unicode letter.
/// A name is the type's full name with other characters escaped; names that still clash get an index, by the
/// ordinal order of the full names, so every run gives every network the same file.
/// </summary>
internal static class HintNames
{
    /// <summary>The full name with every character other than ASCII letters, digits, '_' and '.' written as <c>_XXXX</c>.</summary>
    public static string Base(string fullName)
    {
        var builder = new StringBuilder(fullName.Length);
        foreach (char c in fullName)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('_').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>The full names, ordinally sorted, whose base name equals another's ignoring case.</summary>
    public static EquatableArray<string> Clashing(IEnumerable<string> fullNames)
    {
        var clashing = fullNames
            .GroupBy(Base, StringComparer.OrdinalIgnoreCase)
            .Where(group => group.Count() > 1)
            .SelectMany(group => group)
            .Distinct(StringComparer.Ordinal)
            .OrderBy(name => name, StringComparer.Ordinal);
        return new EquatableArray<string>(clashing);
    }

    /// <summary>The file name of the type <paramref name="fullName"/>, given the clashing names of the compilation.</summary>
    public static string For(string fullName, EquatableArray<string> clashing)
    {
        string name = Base(fullName);
        int index = 0;
        foreach (string other in clashing)
        {
            if (string.Equals(Base(other), name, StringComparison.OrdinalIgnoreCase))
            {
                if (string.Equals(other, fullName, StringComparison.Ordinal))
                {
                    // An identifier never starts with a digit, so ".1" cannot be part of another type's name.
                    return $"{name}.{index.ToString(CultureInfo.InvariantCulture)}.g.cs";
                }

                index++;
            }
        }

        return name + ".g.cs";
    }
}
