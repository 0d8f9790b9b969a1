using System.Diagnostics.CodeAnalysis;
using Cronos;

namespace Autopilot.Configuration;

/// <summary>
/// The service-mode <c>schedule</c>: a Cronos expression (5 fields, or 6 with seconds first) read in
/// a time zone (the <c>time_zone</c> key, else the machine's local zone). Cronos walks clock changes
/// as cron does: a time skipped in spring fires once just after the jump, a time repeated in
/// autumn fires once, and intervals (<c>*/15</c>) keep their real spacing through both.
/// </summary>
public sealed class CronSchedule
{
    /// <summary>A schedule must fire within this long from now, or it is refused (e.g. 30 February).</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(366);

    private readonly CronExpression _expression;

    private CronSchedule(string text, CronExpression expression, TimeZoneInfo zone)
    {
        Text = text;
        _expression = expression;
        Zone = zone;
    }

    public string Text { get; }

    public TimeZoneInfo Zone { get; }

    /// <summary>
    /// Parses <paramref name="text"/> in <paramref name="timeZone"/> (IANA name; null: local) and checks
    /// that it fires within <see cref="Horizon"/> of <paramref name="now"/> (default: the system clock).
    /// </summary>
    public static bool TryParse(string text, string? timeZone, [NotNullWhen(true)] out CronSchedule? schedule, [NotNullWhen(false)] out string? error, DateTimeOffset? now = null)
    {
        if (!TryCreate(text, timeZone, out schedule, out error))
        {
            return false;
        }

        var from = now ?? TimeProvider.System.GetUtcNow();
        var next = schedule.Next(from);
        if (next is null || next.Value - from > Horizon)
        {
            error = $"cron expression '{text}' does not fire within a year{(next is null ? "" : $" (next: {next.Value:yyyy-MM-dd HH:mm zzz})")}; the service would never tick";
            schedule = null;
            return false;
        }

        return true;
    }

    /// <summary>The schedule of validated options (the binder has checked both keys and the horizon).</summary>
    public static CronSchedule Of(AutopilotOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return TryCreate(options.Schedule, options.TimeZone, out var schedule, out var error)
            ? schedule
            : throw new InvalidOperationException($"schedule: {error}");
    }

    /// <summary>An IANA zone name (e.g. Europe/Amsterdam); null or empty means the machine's local zone.</summary>
    public static bool TryFindZone(string? name, [NotNullWhen(true)] out TimeZoneInfo? zone, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(name))
        {
            zone = TimeZoneInfo.Local;
            return true;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(name);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = null;
            error = $"unknown time zone '{name}' (use an IANA name such as Europe/Amsterdam or UTC)";
            return false;
        }
    }

    private static bool TryCreate(string text, string? timeZone, [NotNullWhen(true)] out CronSchedule? schedule, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        schedule = null;
        var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            error = $"cron expression '{text}' has {fields} fields; expected 5 (minute hour day month weekday) or 6 (seconds first)";
            return false;
        }

        if (!TryFindZone(timeZone, out var zone, out error))
        {
            return false;
        }

        try
        {
            var expression = CronExpression.Parse(text.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            schedule = new CronSchedule(text, expression, zone);
            return true;
        }
        catch (CronFormatException ex)
        {
            error = $"bad cron expression '{text}': {ex.Message}";
            return false;
        }
    }

    /// <summary>The first tick strictly after <paramref name="after"/>, or null when there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) => _expression.GetNextOccurrence(after, Zone);
}
