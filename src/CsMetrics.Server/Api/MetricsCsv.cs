using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Server.Hosting;

/// <summary>
/// The metrics report as CSV for spreadsheets (docs/metrics.md, CSV): one header row and one data
/// row of every scalar, nested objects flattened with dots; then each list as its own section
/// (a blank line, "# name", a header row, one row per item). Built from the JSON form so the
/// column names are exactly the JSON field paths.
/// </summary>
public static class MetricsCsv
{
    public static string Write(MetricsReport report)
    {
        var root = JsonSerializer.SerializeToNode(report, JsonSerializerOptions.Web)!.AsObject();
        var header = new List<string>();
        var values = new List<string>();
        var sections = new List<(string Name, JsonArray Items)>();
        Flatten(root, "", header, values, sections);

        var sb = new StringBuilder();
        AppendRow(sb, header);
        AppendRow(sb, values);
        foreach (var (name, items) in sections)
        {
            sb.Append('\n').Append("# ").Append(name).Append('\n');
            var columns = items.OfType<JsonObject>().SelectMany(o => o.Select(p => p.Key)).Distinct().ToList();
            if (columns.Count == 0)
            {
                continue; // an empty list is just its "# name" line
            }
            AppendRow(sb, columns);
            foreach (var item in items.OfType<JsonObject>())
            {
                AppendRow(sb, columns.Select(c => Cell(item[c])));
            }
        }
        return sb.ToString();
    }

    private static void Flatten(JsonObject o, string prefix, List<string> header, List<string> values, List<(string, JsonArray)> sections)
    {
        foreach (var (name, node) in o)
        {
            string path = prefix + name;
            switch (node)
            {
                case JsonArray array:
                    sections.Add((path, array));
                    break;
                case JsonObject child when name == "indicators":
                    // metric → leading/lagging: a two-column section reads better than 50 columns.
                    sections.Add((path, new JsonArray(child.Select(p => (JsonNode?)new JsonObject { ["metric"] = p.Key, ["tag"] = p.Value?.DeepClone() }).ToArray())));
                    break;
                case JsonObject child:
                    Flatten(child, path + ".", header, values, sections);
                    break;
                default:
                    header.Add(path);
                    values.Add(Cell(node));
                    break;
            }
        }
    }

    private static string Cell(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonValue v when v.TryGetValue(out double d) => d.ToString("R", CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };

    private static void AppendRow(StringBuilder sb, IEnumerable<string> cells)
    {
        bool first = true;
        foreach (var cell in cells)
        {
            if (!first)
            {
                sb.Append(',');
            }
            first = false;
            // RFC 4180 quoting; a leading =, +, - or @ is prefixed so a spreadsheet never runs it as a formula.
            string text = cell.Length > 0 && cell[0] is '=' or '+' or '@' || (cell.StartsWith('-') && !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                ? "'" + cell
                : cell;
            if (text.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                sb.Append('"').Append(text.Replace("\"", "\"\"")).Append('"');
            }
            else
            {
                sb.Append(text);
            }
        }
        sb.Append('\n');
    }
}
