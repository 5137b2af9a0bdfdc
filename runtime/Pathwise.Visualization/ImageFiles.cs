using System;
using System.IO;
using SkiaSharp;

namespace Pathwise.Visualization;

/// <summary>Writes pictures atomically: the bytes go to a temp file in the target's folder, which then replaces the target.</summary>
public static class ImageFiles
{
    /// <summary>Encodes <paramref name="bitmap"/> as PNG and writes it to <paramref name="path"/> atomically (creating the folder).</summary>
    /// <exception cref="InvalidOperationException">SkiaSharp could not encode the bitmap.</exception>
    public static void WritePng(SKBitmap bitmap, string path)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width}x{bitmap.Height} bitmap as PNG for {path}.");
        WriteAtomically(path, data.AsSpan());
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/>: first to <c>.name.random.tmp</c> in the same folder,
    /// then <c>File.Move(temp, path, overwrite: true)</c>, so a reader never sees a half-written file.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Path.GetRandomFileName()}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
