using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Autopilot.Processes;
using Autopilot.TaskLogs;

namespace Autopilot.Cli.Commands;

/// <summary>`autopilot logs`: a task's captured output and timings, the recent tasks, or a pilot's own output.</summary>
public static class LogsCommand
{
    public const int ExitNotFound = 1;
    public const int ExitUsage = 2;

    public static Command Build()
    {
        var task = new Argument<string?>("task-id") { Description = "Task id or a unique prefix of it", Arity = ArgumentArity.ZeroOrOne };
        var pool = new Option<string?>("--pool") { Description = "Only this pool's HyperShell database" };
        var limit = new Option<int>("--limit") { Description = "How many recent tasks to list", DefaultValueFactory = _ => 20 };
        var failed = new Option<bool>("--failed") { Description = "List only failed tasks" };
        var grep = new Option<string?>("--grep") { Description = "List only tasks whose id, command or log text matches this regular expression" };
        var pilot = new Option<string?>("--pilot") { Description = "Show a pilot job's own stdout/stderr from the pilot-log folder" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing a running task's output until it completes (Ctrl-C stops)" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (schema in docs/operations.md)" };
        var raw = new Option<bool>("--raw") { Description = "Print control characters from the database and the logs as they are (by default they are shown as \\xNN)" };
        var command = new Command("logs", """
            A task's stdout and stderr with its state, exit status, attempt, client host and timings, found in
            the pool's HyperShell database by id or unique prefix; without an id, the most recent tasks; with
            --pilot, a pilot job's own output. Logs not on this machine are fetched over ssh when the pool
            sets logs.ssh = true. Pages through $PAGER (default less -R) on a terminal.

            Example: autopilot logs 3f2a9c --pool main
            Example: autopilot logs --failed --grep 'Traceback' --limit 5
            Example: autopilot logs --pilot 123456
            """)
        {
            task,
            pool,
            limit,
            failed,
            grep,
            pilot,
            follow,
            json,
            raw,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return ExitUsage;
            }

            var service = new TaskLogService(ctx.Options, ctx.Runner());
            var interactive = !Console.IsOutputRedirected && ReferenceEquals(ctx.Out, Console.Out);
            var output = new Output(ctx.Out, ctx.Err, parse.GetValue(raw), interactive);
            try
            {
                if (parse.GetValue(pilot) is { } jobId)
                {
                    return await PilotLogsAsync(ctx, output, jobId, parse.GetValue(pool), ct);
                }

                if (parse.GetValue(task) is { } id)
                {
                    return await OneAsync(output, service, id, parse.GetValue(pool), parse.GetValue(json), parse.GetValue(follow), ct);
                }

                return await ListAsync(ctx, output, service, parse.GetValue(pool), parse.GetValue(limit), parse.GetValue(failed), parse.GetValue(grep), parse.GetValue(json), ct);
            }
            catch (ArgumentException ex)
            {
                output.Error(ex.Message);
                return ExitUsage;
            }
            catch (TaskLogException ex)
            {
                output.Error(ex.Message);
                return ExitNotFound;
            }
        });
        return command;
    }

    /// <summary>The most recent tasks (optionally only failed ones, or those matching <paramref name="grep"/>).</summary>
    private static async Task<int> ListAsync(CliContext ctx, Output output, TaskLogService service, string? pool, int limit, bool failed, string? grep, bool json, CancellationToken ct)
    {
        if (limit < 1)
        {
            ctx.Err.WriteLine("--limit must be 1 or more");
            return ExitUsage;
        }

        Regex? pattern = null;
        if (grep is { } g)
        {
            try
            {
                pattern = new Regex(g, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));
            }
            catch (ArgumentException ex)
            {
                ctx.Err.WriteLine($"--grep: not a regular expression: {ex.Message}");
                return ExitUsage;
            }
        }

        var recent = await service.RecentAsync(pool, limit, failed, pattern, ct);
        if (json)
        {
            ctx.Out.WriteLine(Json.Serialize(new TaskListView(recent.Select(TaskView.From).ToList()), Json.Context.TaskListView));
            return 0;
        }

        var text = new StringWriter();
        WriteList(text, recent);
        output.Emit(text.ToString());
        return 0;
    }

    private static async Task<int> OneAsync(Output ctx, TaskLogService service, string id, string? pool, bool json, bool follow, CancellationToken ct)
    {
        var lookup = await service.FindAsync(id, pool, ct);
        if (lookup.Matches.Count == 0)
        {
            ctx.Error($"no task with id or prefix '{id}' in {string.Join(", ", service.Pools(pool).Select(p => $"pool {p.Name}"))}");
            return ExitNotFound;
        }

        if (lookup.Ambiguous)
        {
            var more = lookup.Matches.Count > TaskLogService.MaxCandidates ? " (first " + TaskLogService.MaxCandidates.ToString(CultureInfo.InvariantCulture) + " shown)" : "";
            ctx.Error($"'{id}' matches {(more.Length > 0 ? "more than " + TaskLogService.MaxCandidates.ToString(CultureInfo.InvariantCulture) : lookup.Matches.Count.ToString(CultureInfo.InvariantCulture))} tasks{more}; give more of the id:");
            foreach (var m in lookup.Matches.Take(TaskLogService.MaxCandidates))
            {
                ctx.Error($"  {m.Task.Id}  pool {m.Pool}  submitted {Time(m.Task.SubmitTime)}  {OneLine(m.Task.CommandLine, 80)}");
            }

            return ExitUsage;
        }

        var found = lookup.Matches[0];
        if (follow && !json)
        {
            return await FollowAsync(ctx, service, found, ct);
        }

        var logs = await service.ReadLogsAsync(found, ct);
        if (json)
        {
            ctx.Out.WriteLine(Json.Serialize(TaskLogsView.From(logs), Json.Context.TaskLogsView));
            return 0;
        }

        var text = new StringWriter();
        WriteTask(text, logs.Pool, logs.Task);
        WriteLog(text, "stdout", logs.Stdout);
        WriteLog(text, "stderr", logs.Stderr);
        ctx.Emit(text.ToString());
        return 0;
    }

    /// <summary>Prints what is there, then what is added, until the task is finished (one last read after) or Ctrl-C.</summary>
    private static async Task<int> FollowAsync(Output ctx, TaskLogService service, PoolTask found, CancellationToken ct)
    {
        var header = new StringWriter();
        WriteTask(header, found.Pool, found.Task);
        ctx.Write(header.ToString());
        var reader = service.Reader(found.Pool);
        var printed = new Dictionary<string, int>();
        var current = found.Task;
        try
        {
            while (true)
            {
                var finished = current.Finished;
                foreach (var (label, path) in new[] { ("stdout", current.Outpath), ("stderr", current.Errpath) })
                {
                    if (string.IsNullOrEmpty(path))
                    {
                        continue;
                    }

                    var log = await reader.ReadAsync(path, current.ClientHost, ct);
                    if (log.Text is null)
                    {
                        continue;
                    }

                    var done = printed.GetValueOrDefault(label);
                    if (log.Text.Length > done)
                    {
                        var chunk = log.Text[done..];
                        ctx.Write(label == "stderr" ? Prefix(chunk, "[stderr] ") : chunk);
                        printed[label] = log.Text.Length;
                    }
                }

                if (finished)
                {
                    ctx.Out.WriteLine($"-- task {HyperShellTask.Name(current.State)}{(current.ExitStatus is { } e ? $" (exit status {e})" : "")}");
                    return 0;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                current = await service.RefreshAsync(found, ct) ?? current;
            }
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    private static async Task<int> PilotLogsAsync(CliContext ctx, Output output, string jobId, string? pool, CancellationToken ct)
    {
        var pools = pool is null ? ctx.Options.Pools.Select(p => p.Name).ToList() : [pool];
        if (pool is not null && ctx.Options.Pools.All(p => p.Name != pool))
        {
            ctx.Err.WriteLine($"no pool named '{pool}' (pools: {string.Join(", ", ctx.Options.Pools.Select(p => p.Name))})");
            return ExitUsage;
        }

        // A remote pool's pilots write on its host: read there, over the pool's own ssh settings.
        var remotePools = ctx.Options.Pools.Where(p => pools.Contains(p.Name) && p.Scheduler.Ssh is not null).ToList();
        var files = PilotLogFiles.Find(ctx.StateDir, pools.Except(remotePools.Select(p => p.Name)), jobId);
        var remote = new List<Autopilot.Remote.RemotePilotLog>();
        foreach (var p in remotePools)
        {
            remote.AddRange(await Autopilot.Remote.RemotePilotLogs.ReadAsync(p, ctx.StateDir, ctx.Runner(), jobId, ct));
        }

        if (files.Count == 0 && remote.Count == 0)
        {
            ctx.Err.WriteLine($"no output of pilot {jobId} under {string.Join(", ", pools.Select(p => PilotLogFiles.Folder(ctx.StateDir, p)))}{(remotePools.Count > 0 ? " (remote pools: on their hosts)" : "")}");
            return ExitNotFound;
        }

        var text = new StringWriter();
        foreach (var log in remote)
        {
            text.WriteLine($"==> {log.Where} (pool {log.Pool}) <==");
            text.Write(log.Text.Length == 0 ? "(empty)\n" : log.Text.EndsWith('\n') ? log.Text : log.Text + "\n");
        }

        foreach (var file in files)
        {
            text.WriteLine($"==> {file.Path} (pool {file.Pool}) <==");
            string content;
            try
            {
                using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var sr = new StreamReader(stream, Encoding.UTF8);
                content = sr.ReadToEnd();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                output.Error($"cannot read {file.Path}: {ex.Message}");
                return ExitNotFound;
            }

            text.Write(content.Length == 0 ? "(empty)\n" : content.EndsWith('\n') ? content : content + "\n");
        }

        output.Emit(text.ToString());
        return 0;
    }

    internal static void WriteTask(TextWriter o, string pool, HyperShellTask t)
    {
        o.WriteLine($"task {t.Id} (pool {pool})");
        o.WriteLine($"  state      {HyperShellTask.Name(t.State)}{(t.ExitStatus is { } e ? $", exit status {e}" : "")}");
        o.WriteLine($"  attempt    {t.Attempt}");
        o.WriteLine($"  command    {t.CommandLine}");
        o.WriteLine($"  client     {t.ClientHost ?? "-"}");
        o.WriteLine($"  submitted  {Time(t.SubmitTime)}");
        o.WriteLine($"  scheduled  {Time(t.ScheduleTime)}");
        o.WriteLine($"  started    {Time(t.StartTime)}");
        o.WriteLine($"  completed  {Time(t.CompletionTime)}");
        o.WriteLine($"  waited     {Seconds(t.Waited)}");
        o.WriteLine($"  duration   {Seconds(t.Duration)}");
    }

    private static void WriteLog(TextWriter o, string label, TaskLogText log)
    {
        switch (log.Source)
        {
            case LogSource.None:
                o.WriteLine($"--- {label}: no captured output (the task recorded no {label} file; run the client with --capture to keep it)");
                return;
            case LogSource.Missing:
                o.WriteLine($"--- {label}: {log.Error}");
                return;
        }

        var via = log.Source == LogSource.Ssh ? " (fetched over ssh)" : "";
        o.WriteLine($"--- {label}: {log.Path}{via}");
        if (log.Text!.Length == 0)
        {
            o.WriteLine("(empty)");
        }
        else
        {
            o.Write(log.Text.EndsWith('\n') ? log.Text : log.Text + "\n");
        }
    }

    private static void WriteList(TextWriter o, IReadOnlyList<PoolTask> tasks)
    {
        if (tasks.Count == 0)
        {
            o.WriteLine("no tasks match");
            return;
        }

        o.WriteLine($"{"TASK",-36}  {"POOL",-10} {"STATE",-10} {"EXIT",4}  {"LAST",-19}  {"HOST",-16} COMMAND");
        foreach (var (pool, t) in tasks)
        {
            o.WriteLine($"{t.Id,-36}  {pool,-10} {HyperShellTask.Name(t.State),-10} {(t.ExitStatus?.ToString(CultureInfo.InvariantCulture) ?? "-"),4}  {Time(t.LastTime),-19}  {t.ClientHost ?? "-",-16} {OneLine(t.CommandLine, 60)}");
        }
    }

    /// <summary>
    /// Where `logs` prints, and how: everything it prints holds text from the task database or a log
    /// file, so control characters are escaped (<see cref="TerminalText"/>) unless --raw.
    /// </summary>
    private sealed class Output(TextWriter stdout, TextWriter stderr, bool raw, bool interactive)
    {
        public TextWriter Out => stdout;

        /// <summary>Plain output, or through $PAGER (default less -R) when stdout is a terminal.</summary>
        public void Emit(string text)
        {
            text = Safe(text);
            if (!interactive || !TryPage(text))
            {
                stdout.Write(text);
            }
        }

        public void Write(string text)
        {
            stdout.Write(Safe(text));
            stdout.Flush();
        }

        public void Error(string line) => stderr.WriteLine(Safe(line));

        private string Safe(string text) => raw ? text : TerminalText.Escape(text);
    }

    private static bool TryPage(string text)
    {
        var pager = Environment.GetEnvironmentVariable("PAGER");
        var words = (string.IsNullOrWhiteSpace(pager) ? "less -R" : pager).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || words[0] == "cat")
        {
            return false;
        }

        // The pager needs the terminal for its own output and keys: started directly, not captured.
        var psi = new ProcessStartInfo(words[0]) { UseShellExecute = false, RedirectStandardInput = true };
        Processes.ChildEnvironment.Apply(psi, new Dictionary<string, string?> { ["LESS"] = Environment.GetEnvironmentVariable("LESS") });
        foreach (var w in words.Skip(1))
        {
            psi.ArgumentList.Add(w);
        }

        try
        {
            using var process = Process.Start(psi);
            if (process is null)
            {
                return false;
            }

            try
            {
                process.StandardInput.Write(text);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The operator quit the pager before reading everything.
            }

            process.WaitForExit();
            return true;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string Time(DateTimeOffset? t) => t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z" : "-";

    private static string Seconds(long? s) => s is { } v ? $"{v} s" : "-";

    private static string OneLine(string text, int max)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length > max ? line[..(max - 3)] + "..." : line;
    }

    private static string Prefix(string chunk, string prefix) =>
        string.Join('\n', chunk.Split('\n').Select((l, i) => l.Length == 0 ? l : prefix + l));
}

/// <summary>The stable JSON shape of one task in `logs --json` (documented in docs/operations.md).</summary>
public sealed record TaskView(
    string Pool,
    string Id,
    string State,
    int? ExitStatus,
    int Attempt,
    string Command,
    string Args,
    string? ClientHost,
    DateTimeOffset SubmitTime,
    DateTimeOffset? ScheduleTime,
    DateTimeOffset? StartTime,
    DateTimeOffset? CompletionTime,
    long? WaitedSeconds,
    long? DurationSeconds,
    string? Outpath,
    string? Errpath)
{
    public static TaskView From(PoolTask p) => From(p.Pool, p.Task);

    public static TaskView From(string pool, HyperShellTask t) =>
        new(pool, t.Id, HyperShellTask.Name(t.State), t.ExitStatus, t.Attempt, t.CommandLine, t.Args, t.ClientHost,
            t.SubmitTime, t.ScheduleTime, t.StartTime, t.CompletionTime, t.Waited, t.Duration, t.Outpath, t.Errpath);
}

/// <summary>`logs --json` without an id.</summary>
public sealed record TaskListView(IReadOnlyList<TaskView> Tasks);

/// <summary>`logs &lt;id&gt; --json`.</summary>
public sealed record TaskLogsView(TaskView Task, LogView Stdout, LogView Stderr)
{
    public static TaskLogsView From(TaskWithLogs logs) =>
        new(TaskView.From(logs.Pool, logs.Task), LogView.From(logs.Stdout), LogView.From(logs.Stderr));
}

public sealed record LogView(string? Path, string Source, bool Available, string? Text, string? Error)
{
    public static LogView From(TaskLogText log) =>
        new(log.Path, log.Source.ToString().ToLowerInvariant(), log.Available, log.Text, log.Error);
}
