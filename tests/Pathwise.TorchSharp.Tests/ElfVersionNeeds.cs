using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace Pathwise.TorchSharp.Tests;

/// <summary>Minimal independent ELF64 reader for the Vernaux entries of .gnu.version_r.</summary>
internal static class ElfVersionNeeds
{
    public const ushort VerFlgWeak = 0x2;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    public sealed record Need(string File, string Name, ushort Flags, int FlagsOffset);

    public static List<Need> Read(byte[] d)
    {
        if (d.Length < 64 || d[0] != 0x7f || d[1] != (byte)'E' || d[2] != (byte)'L' || d[3] != (byte)'F' || d[4] != 2 || d[5] != 1)
        {
            throw new FormatException("not a little-endian ELF64 file");
        }

        ReadOnlySpan<byte> s = d;
        int shoff = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(s[0x28..]));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3C..]);

        var needs = new List<Need>();
        for (int i = 0; i < shnum; i++)
        {
            ReadOnlySpan<byte> sh = s.Slice(shoff + i * shentsize, 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed)
            {
                continue;
            }

            int off = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]));
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x2C..]);
            int str = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(shoff + link * shentsize + 0x18, 8)));

            int vn = off;
            for (int n = 0; n < count; n++)
            {
                int cnt = BinaryPrimitives.ReadUInt16LittleEndian(s[(vn + 2)..]);
                string file = CStr(s, str + (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(vn + 4)..]));
                int va = vn + (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(vn + 8)..]);
                for (int k = 0; k < cnt; k++)
                {
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(s[(va + 4)..]);
                    string name = CStr(s, str + (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(va + 8)..]));
                    needs.Add(new Need(file, name, flags, va + 4));
                    va += (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(va + 12)..]);
                }
                vn += (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(vn + 12)..]);
            }
        }
        return needs;
    }

    private static string CStr(ReadOnlySpan<byte> s, int start)
    {
        int len = s[start..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(s.Slice(start, len));
    }
}
