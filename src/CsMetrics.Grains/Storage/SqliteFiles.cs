using Microsoft.Data.Sqlite;

namespace CsMetrics.Grains.Storage;

/// <summary>
/// Connection strings for one SQLite file used by a single long-lived writer plus pooled readers
/// (the ingest log and the grain storage both work this way). Creates the folder if needed.
/// </summary>
internal static class SqliteFiles
{
    public static (string FullPath, string Readers, string Writer) Open(string databasePath)
    {
        var fullPath = Path.GetFullPath(databasePath);
        var directory = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        };
        string readers = builder.ToString();
        // The writer lives as long as its owner, so pooling buys nothing and would keep the file open after Dispose.
        builder.Pooling = false;
        return (fullPath, readers, builder.ToString());
    }
}
