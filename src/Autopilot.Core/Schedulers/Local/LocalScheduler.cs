using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Schedulers.Local;

/// <summary>What the local scheduler remembers about one pilot, in <c>&lt;state&gt;/local/&lt;job name&gt;/&lt;id&gt;.json</c>.</summary>
/// <param name="Pid">The wrapper's pid, which is also its session id; 0 while it is being started.</param>
/// <param name="StartTicks">Field 22 of /proc/&lt;pid&gt;/stat when it started: a reused pid has another.</param>
public sealed record LocalPilotRecord(
    string Id,
    string Name,
    string Pool,
    int Pid,
    long? StartTicks,
    DateTimeOffset SubmitTime,
    double WalltimeSeconds,
    string LogPath,
    string Script);

[JsonSerializable(typeof(LocalPilotRecord))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class LocalJsonContext : JsonSerializerContext;

/// <summary>
/// Pilots as detached local processes: the embedded default, so a laptop runs everything without a
/// cluster. Each pilot is a new session (setsid --fork, so autopilot is not even its parent) running a
/// small sh wrapper that enforces the walltime with timeout(1) and records the exit status. Pilots are
/// found through files under <c>&lt;state&gt;/local</c>, never remembered in memory, so they outlive the
/// autopilot process that started them.
/// </summary>
public sealed class LocalScheduler : IScheduler
{
    /// <summary>Walltime: SIGTERM at the limit, SIGKILL this long after.</summary>
    public static readonly TimeSpan WalltimeKillGrace = TimeSpan.FromSeconds(30);

    /// <summary>A record still without a pid after this long belongs to a start that never finished (killed autopilot).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Records of pilots that ended longer ago than this are deleted while listing.</summary>
    public static readonly TimeSpan RecordRetention = TimeSpan.FromDays(2);

    private const string Wrapper =
        """
        exit_file=$1 pid_file=$2 log=$3 secs=$4 grace=$5
        shift 5
        exec >>"$log" 2>&1 </dev/null
        echo $$ >"$pid_file.tmp" && mv -f "$pid_file.tmp" "$pid_file"
        timeout --kill-after="$grace" "$secs" "$@"
        rc=$?
        echo "$rc" >"$exit_file.tmp" && mv -f "$exit_file.tmp" "$exit_file"
        exit "$rc"
        """;

    private readonly string _root;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _cancelGrace;
    private readonly string _setsid;

    /// <param name="stateDir">The state directory; pilots are tracked under its <c>local</c> folder.</param>
    /// <param name="cancelGrace">How long cancel waits after SIGTERM before SIGKILL.</param>
    public LocalScheduler(string stateDir, ILogger<LocalScheduler>? logger = null, TimeProvider? time = null, TimeSpan? cancelGrace = null, string setsid = "/usr/bin/setsid")
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDir);
        _root = Path.Combine(Path.GetFullPath(stateDir), "local");
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _cancelGrace = cancelGrace ?? TimeSpan.FromSeconds(5);
        _setsid = setsid;
    }

    public string Kind => SchedulerKinds.Local.Name;

    /// <summary>Where pilots of this job name are tracked.</summary>
    public string JobDirectory(string jobName) => Path.Combine(_root, jobName);

    public Task<IReadOnlyList<Pilot>> ListAsync(PilotQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var now = _time.GetUtcNow();
        var pilots = new List<Pilot>();
        foreach (var name in query.JobNames.Distinct(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (JobNameProblem(name) is { } problem)
            {
                throw new SchedulerException($"cannot list local pilots named '{name}': {problem}");
            }

            foreach (var record in ReadRecords(name))
            {
                var status = Inspect(record, now);
                if (status.State == PilotState.Finished && status.EndTime is { } ended && now - ended > RecordRetention)
                {
                    DeleteRecord(record);
                    continue;
                }

                if (status.State == PilotState.Finished && !query.IncludeFinished)
                {
                    continue;
                }

                pilots.Add(new Pilot(
                    record.Id,
                    record.Name,
                    status.State,
                    status.Raw,
                    status.State == PilotState.Queued ? "Starting" : null,
                    status.State == PilotState.Queued ? PendingKind.Resources : PendingKind.None,
                    record.SubmitTime,
                    record.Pid > 0 ? record.SubmitTime : null,
                    TimeLimit: TimeSpan.FromSeconds(record.WalltimeSeconds)));
            }
        }

        return Task.FromResult<IReadOnlyList<Pilot>>(pilots);
    }

    public async Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Count <= 0)
        {
            return new SubmitResult([]);
        }

        SettingChecks.Refuse(ValidateSettings(request.Scheduler, request.JobName), $"pool {request.PoolName}: refusing to start local pilots");

        if (!File.Exists(request.ScriptPath))
        {
            throw new SchedulerException($"pool {request.PoolName}: pilot script '{request.ScriptPath}' does not exist");
        }

        var dir = JobDirectory(request.JobName);
        State.StateDirectory.Ensure(dir);
        State.StateDirectory.Ensure(request.LogDirectory);
        var interpreter = Interpreter(request.ScriptPath);
        var first = await NextIdsAsync(request.Count, cancellationToken).ConfigureAwait(false);
        var ids = new List<string>(request.Count);
        for (var i = 0; i < request.Count; i++)
        {
            var id = "local-" + (first + i).ToString(CultureInfo.InvariantCulture);
            try
            {
                await StartOneAsync(request, id, dir, interpreter, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && (ids.Count > 0 || ex is not SchedulerException))
            {
                throw new SchedulerException($"pool {request.PoolName}: starting local pilot {id} failed{(ids.Count > 0 ? $" (after {string.Join(", ", ids)} started)" : "")}: {ex.Message}", ex, ids);
            }

            ids.Add(id);
        }

        _logger.LogInformation("pool {Pool}: started {Count} local pilots named {Name}: {Ids}", request.PoolName, ids.Count, request.JobName, string.Join(", ", ids));
        return new SubmitResult(ids);
    }

    private async Task StartOneAsync(SubmitRequest request, string id, string dir, IReadOnlyList<string> interpreter, CancellationToken ct)
    {
        var log = Path.Combine(request.LogDirectory, $"{request.JobName}-{id}.out");
        var pidFile = Path.Combine(dir, id + ".pid");
        var exitFile = Path.Combine(dir, id + ".exit");
        var record = new LocalPilotRecord(id, request.JobName, request.PoolName, 0, null, _time.GetUtcNow(), request.Scheduler.Walltime.TotalSeconds, log, request.ScriptPath);
        // Written before the start: a kill -9 right after the fork still leaves a trace (aged out by StartTimeout).
        WriteRecord(record);

        var psi = new ProcessStartInfo(_setsid)
        {
            UseShellExecute = false,
            WorkingDirectory = request.LogDirectory,
        };
        foreach (var a in (string[])["--fork", "/bin/sh", "-c", Wrapper, "autopilot-pilot", exitFile, pidFile, log,
                     ((long)Math.Ceiling(request.Scheduler.Walltime.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s",
                     ((long)WalltimeKillGrace.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s"])
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var a in interpreter)
        {
            psi.ArgumentList.Add(a);
        }

        psi.ArgumentList.Add(request.ScriptPath);
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (request.Environment is not null)
        {
            foreach (var (k, v) in request.Environment)
            {
                env[k] = v;
            }
        }

        env["AUTOPILOT_PILOT_ID"] = id;
        env["AUTOPILOT_JOB_NAME"] = request.JobName;
        ChildEnvironment.Apply(psi, env);

        Process starter;
        try
        {
            starter = Process.Start(psi) ?? throw new SchedulerException($"`{_setsid}` did not start");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or SchedulerException)
        {
            DeleteRecord(record); // Nothing was started: no pilot to remember.
            throw;
        }

        using (starter)
        {
            // setsid --fork returns at once; the pilot is then a child of init, not of autopilot.
            using var startCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            startCts.CancelAfter(TimeSpan.FromSeconds(10));
            await starter.WaitForExitAsync(startCts.Token).ConfigureAwait(false);
            if (starter.ExitCode != 0 && !File.Exists(pidFile))
            {
                DeleteRecord(record);
                throw new SchedulerException($"`{_setsid} --fork /bin/sh ...` exited with {starter.ExitCode}");
            }
        }

        var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(10);
        int pid;
        while (!TryReadPid(pidFile, out pid))
        {
            if (_time.GetUtcNow() > deadline)
            {
                throw new SchedulerException($"local pilot {id} did not write its pid file {pidFile} within 10 s (see {log})");
            }

            await Task.Delay(10, ct).ConfigureAwait(false);
        }

        var stat = ProcStat.Read(pid);
        WriteRecord(record with { Pid = pid, StartTicks = stat?.StartTicks });
    }

    public async Task CancelAsync(IReadOnlyList<string> pilotIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pilotIds);
        foreach (var id in pilotIds.Distinct(StringComparer.Ordinal))
        {
            if (!id.StartsWith("local-", StringComparison.Ordinal) || id.Length == 6 || id.AsSpan(6).ContainsAnyExceptInRange('0', '9'))
            {
                throw new SchedulerException($"refusing to cancel '{id}': not a local pilot id");
            }

            var record = FindRecord(id);
            if (record is null || record.Pid <= 0)
            {
                continue; // Already gone (and cleaned up), or never started: nothing to stop.
            }

            var leader = ProcStat.Read(record.Pid);
            if (leader is not null && leader.StartTicks != record.StartTicks)
            {
                continue; // The pid now belongs to someone else: ours ended long ago.
            }

            var members = SessionMembers(record.Pid);
            if (members.Count == 0)
            {
                continue;
            }

            File.WriteAllText(Path.Combine(JobDirectory(record.Name), id + ".cancelled"), _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            Signal(members, Sigterm);
            var deadline = _time.GetUtcNow() + _cancelGrace;
            while (_time.GetUtcNow() < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                members = SessionMembers(record.Pid);
                if (members.Count == 0)
                {
                    break;
                }
            }

            if (members.Count > 0)
            {
                Signal(members, Sigkill);
            }

            _logger.LogInformation("cancelled local pilot {Id} (session {Pid})", id, record.Pid);
        }
    }

    /// <summary>Local pilots are plain processes: there is no scheduler to ask; the pool's settings were checked by ValidateSettings.</summary>
    public Task<SubmitTest> TestSubmitAsync(SubmitRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new SubmitTest(false, true, null, "local pilots are processes on this host: there is no scheduler to ask"));

    public Task<OutcomeReport> OutcomesAsync(OutcomeQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var now = _time.GetUtcNow();
        var outcomes = new List<PilotOutcome>();
        foreach (var name in query.JobNames.Distinct(StringComparer.Ordinal))
        {
            if (JobNameProblem(name) is not null)
            {
                continue;
            }

            foreach (var record in ReadRecords(name))
            {
                var status = Inspect(record, now);
                if (status.State != PilotState.Finished || (status.EndTime ?? record.SubmitTime) < query.Since)
                {
                    continue;
                }

                outcomes.Add(new PilotOutcome(record.Id, record.Name, status.End, status.ExitCode, record.Pid > 0 ? record.SubmitTime : null, status.EndTime, status.Raw));
            }
        }

        return Task.FromResult(new OutcomeReport(true, outcomes));
    }

    public IReadOnlyList<SettingProblem> ValidateSettings(SchedulerOptions options, string jobName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<SettingProblem>();
        if (JobNameProblem(jobName) is { } p)
        {
            problems.Add(new(SettingProblem.JobName, $"job name '{jobName}': {p}"));
        }

        if (options.Walltime <= TimeSpan.Zero)
        {
            problems.Add(new("scheduler.walltime", $"must be positive (got {options.Walltime})"));
        }

        return problems;
    }

    /// <summary>The job name becomes a directory name: letters, digits, '-', '_', '.', not '.'/'..', at most 100.</summary>
    internal static string? JobNameProblem(string name)
    {
        if (string.IsNullOrEmpty(name) || name is "." or "..")
        {
            return "must not be empty, '.' or '..'";
        }

        if (name.Length > 100)
        {
            return "longer than 100 characters";
        }

        return name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? null
            : "may contain only ASCII letters, digits, '-', '_' and '.'";
    }

    private sealed record Status(PilotState State, string Raw, PilotEnd End, int? ExitCode, DateTimeOffset? EndTime);

    private Status Inspect(LocalPilotRecord record, DateTimeOffset now)
    {
        var dir = JobDirectory(record.Name);
        var cancelled = Path.Combine(dir, record.Id + ".cancelled");
        var exitFile = Path.Combine(dir, record.Id + ".exit");
        if (record.Pid <= 0)
        {
            // The autopilot that started it may have died between the fork and recording the pid: the
            // wrapper writes its pid file on its own, so a pilot that started is always found again.
            if (Adopt(record) is not { } adopted)
            {
                return now - record.SubmitTime < StartTimeout
                    ? new Status(PilotState.Queued, "starting", PilotEnd.Unknown, null, null)
                    : new Status(PilotState.Finished, "never-started", PilotEnd.Failed, null, record.SubmitTime + StartTimeout);
            }

            record = adopted;
        }

        var stat = ProcStat.Read(record.Pid);
        if (stat is not null && stat.StartTicks == record.StartTicks && stat.State is not ('Z' or 'X' or 'x'))
        {
            return new Status(PilotState.Running, "running", PilotEnd.Unknown, null, null);
        }

        // The leader is gone but the pilot's own children may still be finishing (TERM sent, not yet dead).
        if (SessionMembers(record.Pid).Count > 0 && (stat is null || stat.StartTicks == record.StartTicks))
        {
            return new Status(PilotState.Completing, "completing", PilotEnd.Unknown, null, null);
        }

        if (File.Exists(cancelled))
        {
            return new Status(PilotState.Finished, "cancelled", PilotEnd.Cancelled, ReadExit(exitFile), File.GetLastWriteTimeUtc(cancelled));
        }

        if (ReadExit(exitFile) is { } rc)
        {
            var ended = new DateTimeOffset(File.GetLastWriteTimeUtc(exitFile), TimeSpan.Zero);
            var ranFor = ended - record.SubmitTime;
            // timeout(1) exits 124 when it sent TERM, 137 when it had to KILL: walltime only if it really ran that long.
            var end = rc == 0 ? PilotEnd.Completed
                : (rc is 124 or 137) && ranFor.TotalSeconds >= record.WalltimeSeconds - 1 ? PilotEnd.Walltime
                : PilotEnd.Failed;
            return new Status(PilotState.Finished, "exited", end, rc, ended);
        }

        // Killed without a trace (kill -9 of the session, host reboot).
        DateTimeOffset? pidTime = File.Exists(Path.Combine(dir, record.Id + ".pid"))
            ? new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(dir, record.Id + ".pid")), TimeSpan.Zero)
            : null;
        return new Status(PilotState.Finished, "vanished", PilotEnd.Unknown, null, pidTime);
    }

    /// <summary>
    /// The record completed from the pid file the wrapper wrote, and saved; null when there is none yet.
    /// The process counts as the pilot only while its command line names that pid file (the wrapper's
    /// marker), so a pid reused by another program is never taken for it.
    /// </summary>
    private LocalPilotRecord? Adopt(LocalPilotRecord record)
    {
        var pidFile = Path.Combine(JobDirectory(record.Name), record.Id + ".pid");
        if (!TryReadPid(pidFile, out var pid))
        {
            return null;
        }

        var stat = ProcStat.Read(pid);
        var ours = stat is not null && CommandLineNames(pid, pidFile);
        var adopted = record with { Pid = pid, StartTicks = ours ? stat!.StartTicks : null };
        WriteRecord(adopted);
        _logger.LogWarning("local pilot {Id}: its start was not recorded (autopilot killed while starting it?); found it by its pid file: pid {Pid}, {State}",
            record.Id, pid, ours ? "running" : "no longer running");
        return adopted;
    }

    private static bool CommandLineNames(int pid, string pidFile)
    {
        try
        {
            var argv = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Split('\0');
            return argv.Contains(pidFile, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static int? ReadExit(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var rc) ? rc : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private IEnumerable<LocalPilotRecord> ReadRecords(string name)
    {
        var dir = JobDirectory(name);
        if (!Directory.Exists(dir))
        {
            return [];
        }

        var records = new List<LocalPilotRecord>();
        foreach (var file in Directory.EnumerateFiles(dir, "local-*.json"))
        {
            if (ReadRecord(file) is { } r)
            {
                records.Add(r);
            }
        }

        return records.OrderBy(r => r.SubmitTime).ThenBy(r => r.Id, StringComparer.Ordinal);
    }

    private static LocalPilotRecord? ReadRecord(string file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (FileNotFoundException)
        {
            return null; // Deleted by a concurrent cleanup.
        }

        try
        {
            return JsonSerializer.Deserialize(text, LocalJsonContext.Default.LocalPilotRecord)
                   ?? throw new SchedulerException($"local pilot record {file} is empty");
        }
        catch (JsonException ex)
        {
            throw new SchedulerException($"local pilot record {file} cannot be read: {ex.Message}", ex);
        }
    }

    private LocalPilotRecord? FindRecord(string id)
    {
        if (!Directory.Exists(_root))
        {
            return null;
        }

        foreach (var dir in Directory.EnumerateDirectories(_root))
        {
            var file = Path.Combine(dir, id + ".json");
            if (File.Exists(file))
            {
                return ReadRecord(file);
            }
        }

        return null;
    }

    private void WriteRecord(LocalPilotRecord record)
    {
        var file = Path.Combine(JobDirectory(record.Name), record.Id + ".json");
        var tmp = file + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(record, LocalJsonContext.Default.LocalPilotRecord));
        File.Move(tmp, file, overwrite: true);
    }

    private void DeleteRecord(LocalPilotRecord record)
    {
        var dir = JobDirectory(record.Name);
        foreach (var ext in (string[])[".exit", ".cancelled", ".pid", ".json"])
        {
            try
            {
                File.Delete(Path.Combine(dir, record.Id + ext));
            }
            catch (IOException)
            {
            }
        }
    }

    private static bool TryReadPid(string pidFile, out int pid)
    {
        pid = 0;
        try
        {
            return File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out pid) && pid > 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Reserves <paramref name="count"/> ids from the counter file, under an exclusive lock (concurrent ticks never share an id).</summary>
    private async Task<long> NextIdsAsync(int count, CancellationToken ct)
    {
        State.StateDirectory.Ensure(_root);
        var path = Path.Combine(_root, "counter");
        var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                using var fs = new FileStream(path, State.StateDirectory.PrivateFile(FileMode.OpenOrCreate, FileAccess.ReadWrite));
                using var reader = new StreamReader(fs, leaveOpen: true);
                var text = (await reader.ReadToEndAsync(ct).ConfigureAwait(false)).Trim();
                long last = 0;
                if (text.Length > 0 && !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out last))
                {
                    throw new SchedulerException($"local pilot counter {path} holds '{text}', not a number");
                }

                fs.SetLength(0);
                fs.Position = 0;
                await using (var writer = new StreamWriter(fs, leaveOpen: true))
                {
                    await writer.WriteAsync((last + count).ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
                }

                fs.Flush(flushToDisk: true);
                return last + 1;
            }
            catch (IOException) when (_time.GetUtcNow() < deadline)
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The interpreter the script's #! line names (as sbatch honours it), else /bin/sh.</summary>
    private static IReadOnlyList<string> Interpreter(string script)
    {
        using var reader = new StreamReader(script);
        var first = reader.ReadLine()?.TrimEnd('\r');
        if (first is null || !first.StartsWith("#!", StringComparison.Ordinal))
        {
            return ["/bin/sh"];
        }

        var parts = first[2..].Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 0 ? ["/bin/sh"] : parts;
    }

    private static List<int> SessionMembers(int sid)
    {
        var members = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir.AsSpan());
            if (name.IsEmpty || name.ContainsAnyExceptInRange('0', '9') || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var stat = ProcStat.Read(pid);
            if (stat is not null && stat.Session == sid && stat.State is not ('Z' or 'X' or 'x'))
            {
                members.Add(pid);
            }
        }

        return members;
    }

    private const int Sigterm = 15;
    private const int Sigkill = 9;

    private static void Signal(List<int> pids, int signal)
    {
        // timeout(1) moves itself and the pilot into their own process group inside the session:
        // signal every group found in the session, then every member in case one left its group.
        foreach (var pgid in pids.Select(p => ProcStat.Read(p)?.ProcessGroup ?? 0).Where(g => g > 1).Distinct())
        {
            _ = Kill(-pgid, signal);
        }

        foreach (var pid in pids)
        {
            _ = Kill(pid, signal);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>The fields of /proc/&lt;pid&gt;/stat the local scheduler needs.</summary>
    internal sealed record ProcStat(char State, int ProcessGroup, int Session, long StartTicks)
    {
        public static ProcStat? Read(int pid)
        {
            string text;
            try
            {
                text = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }

            return Parse(text);
        }

        /// <summary>"pid (comm) S ppid pgrp session ... starttime(22nd)"; comm may hold spaces and parentheses.</summary>
        public static ProcStat? Parse(string text)
        {
            var close = text.LastIndexOf(')');
            if (close < 0 || close + 2 >= text.Length)
            {
                return null;
            }

            var fields = text[(close + 2)..].Split(' ');
            // fields[0] is field 3 (state); field N is fields[N - 3].
            if (fields.Length < 20 || fields[0].Length != 1
                || !int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pgrp)
                || !int.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var session)
                || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            {
                return null;
            }

            return new ProcStat(fields[0][0], pgrp, session, start);
        }
    }
}
