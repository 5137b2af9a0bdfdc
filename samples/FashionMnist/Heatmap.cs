using System;
using System.Collections.Generic;
using System.Text;

namespace FashionMnist;

/// <summary>Text pictures of 28x28 maps: one character per pixel, darker characters for larger values.</summary>
public static class Heatmap
{
    private const string Ramp = " .:-=+*#%@";
    private const int Side = 28;

    /// <summary>
    /// Prints the maps side by side under their titles. Each map is shaded by <c>|value|</c> relative to its own
    /// 99th percentile of <c>|value|</c> (larger values saturate), so one extreme pixel does not wash out the rest.
    /// </summary>
    public static void PrintSideBySide(IReadOnlyList<(string Title, float[] Values)> maps)
    {
        var scales = new float[maps.Count];
        var header = new StringBuilder("  ");
        for (int m = 0; m < maps.Count; m++)
        {
            scales[m] = Percentile99OfMagnitude(maps[m].Values);
            string title = maps[m].Title.Length > Side ? maps[m].Title[..Side] : maps[m].Title;
            header.Append(title.PadRight(Side)).Append("    ");
        }

        Console.WriteLine(header.ToString().TrimEnd());
        for (int row = 0; row < Side; row++)
        {
            var line = new StringBuilder("  ");
            for (int m = 0; m < maps.Count; m++)
            {
                for (int column = 0; column < Side; column++)
                {
                    float level = Math.Abs(maps[m].Values[row * Side + column]) / scales[m];
                    int shade = (int)MathF.Round(Math.Clamp(level, 0f, 1f) * (Ramp.Length - 1));
                    line.Append(Ramp[shade]);
                }

                line.Append(m + 1 < maps.Count ? " |  " : string.Empty);
            }

            Console.WriteLine(line.ToString().TrimEnd());
        }
    }

    private static float Percentile99OfMagnitude(float[] values)
    {
        var magnitudes = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            magnitudes[i] = Math.Abs(values[i]);
        }

        Array.Sort(magnitudes);
        float scale = magnitudes[(int)(0.99 * (magnitudes.Length - 1))];
        return scale > 0 ? scale : Math.Max(magnitudes[^1], float.Epsilon);
    }
}
