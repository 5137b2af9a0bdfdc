using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Text;
using Pathwise.Cli.Explaining;

namespace Pathwise.Cli.Report;

/// <summary>One image's section of the report: its table rows and pictures.</summary>
/// <param name="Heading">The section's heading.</param>
/// <param name="Rows">The table: name and value, one pair per row; each value cell carries <c>data-field</c> = the name's key.</param>
/// <param name="Pictures">The pictures, inline.</param>
internal sealed record ReportSection(string Heading, IReadOnlyList<(string Key, string Name, string Value)> Rows, IReadOnlyList<Picture> Pictures);

/// <summary>
/// The self-contained HTML page of <c>explain --report</c>: one file, no external resource (pictures as
/// <c>data:image/png;base64</c> URIs, the style inline), so it opens in any browser, offline, and can be mailed.
/// A few lines of script mark the body once the page has loaded: <c>data-images-loaded="k/n"</c> (pictures decoded
/// with a width, out of all) and <c>data-images-ok="true"</c> when none is broken; the title gains "(n pictures)".
/// </summary>
internal static class HtmlReport
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
        h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; margin: 0.5em 0 1em; font-variant-numeric: tabular-nums; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
        td.n { text-align: right; } th { background: #f3f3f3; }
        figure { margin: 0.5em 0 1.5em; } figcaption { color: #555; font-size: 0.9em; }
        img { max-width: 100%; height: auto; }
        .note { color: #8a4b00; }
        .row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
        """;

    private const string Script = """
        window.addEventListener('load', function () {
          var images = Array.prototype.slice.call(document.images);
          var loaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
          document.body.setAttribute('data-images-loaded', loaded + '/' + images.length);
          document.body.setAttribute('data-images-ok', loaded === images.length ? 'true' : 'false');
          document.title += ' (' + loaded + ' of ' + images.length + ' pictures)';
        });
        """;

    /// <summary>
    /// The page: <paramref name="title"/>, the <paramref name="facts"/> (model, data, method...), the summary table
    /// (<paramref name="summaryHeader"/>, <paramref name="summaryRows"/>), a section per image, and the extra plots.
    /// </summary>
    public static string Build(
        string title,
        IReadOnlyList<(string Name, string Value)> facts,
        IReadOnlyList<string> summaryHeader,
        IReadOnlyList<IReadOnlyList<string>> summaryRows,
        IReadOnlyList<ReportSection> sections,
        IReadOnlyList<Picture> plots,
        string? note)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(title)).Append("</title>\n");
        html.Append("<meta name=\"generator\" content=\"pathwise explain\">\n<style>\n").Append(Style).Append("</style>\n");
        html.Append("<script>\n").Append(Script).Append("</script>\n</head>\n<body>\n");
        html.Append("<h1>").Append(E(title)).Append("</h1>\n");
        if (note is not null)
        {
            html.Append("<p class=\"note\" id=\"note\">").Append(E(note)).Append("</p>\n");
        }

        html.Append("<table id=\"facts\">\n");
        foreach ((string name, string value) in facts)
        {
            html.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>\n");
        }

        html.Append("</table>\n<h2>Summary</h2>\n<table id=\"summary\">\n<tr>");
        foreach (string header in summaryHeader)
        {
            html.Append("<th>").Append(E(header)).Append("</th>");
        }

        html.Append("</tr>\n");
        foreach (IReadOnlyList<string> row in summaryRows)
        {
            html.Append("<tr>");
            foreach (string cell in row)
            {
                html.Append(IsNumber(cell) ? "<td class=\"n\">" : "<td>").Append(E(cell)).Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</table>\n");
        for (int s = 0; s < sections.Count; s++)
        {
            ReportSection section = sections[s];
            html.Append("<section class=\"image\" id=\"image-").Append(s).Append("\">\n<h2>").Append(E(section.Heading)).Append("</h2>\n<div class=\"row\">\n<table>\n");
            foreach ((string key, string name, string value) in section.Rows)
            {
                html.Append("<tr><th>").Append(E(name)).Append("</th><td data-field=\"").Append(E(key)).Append("\"")
                    .Append(IsNumber(value) ? " class=\"n\"" : "").Append('>').Append(E(value)).Append("</td></tr>\n");
            }

            html.Append("</table>\n<div>\n");
            AppendPictures(html, section.Pictures);
            html.Append("</div>\n</div>\n</section>\n");
        }

        if (plots.Count > 0)
        {
            html.Append("<h2>Plots</h2>\n");
            AppendPictures(html, plots);
        }

        html.Append("<p><small>Written by <code>pathwise explain</code>. Colours: matplotlib's bwr map, blue negative, white 0, red positive, clipped at the 99th percentile of |value|.</small></p>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendPictures(StringBuilder html, IReadOnlyList<Picture> pictures)
    {
        foreach (Picture picture in pictures)
        {
            html.Append("<figure><img alt=\"").Append(E(picture.Caption)).Append("\" src=\"data:image/png;base64,")
                .Append(Convert.ToBase64String(picture.Png)).Append("\"><figcaption>").Append(E(picture.Caption)).Append("</figcaption></figure>\n");
        }
    }

    private static bool IsNumber(string text) =>
        text.Length > 0 && (char.IsDigit(text[0]) || ((text[0] is '-' or '+') && text.Length > 1 && char.IsDigit(text[1])));

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
