using Autopilot.State;

namespace Autopilot.Tests.State;

/// <summary>The recorded job ids of the SQLite state store: keys, recording, pruning (issue 14 problem 8).</summary>
public sealed class SubmittedJobStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("autopilot-submitted-").FullName;
    private SqliteStateStore _store = null!;

    public async Task InitializeAsync() => _store = await SqliteStateStore.OpenAsync(Path.Combine(_dir, "state"), CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("123[].server", "123")]
    [InlineData("123[4].server.example.org", "123")]
    [InlineData("123.server", "123")]
    [InlineData("123", "123")]
    [InlineData("123[4]", "123")]
    [InlineData("local-3", "local-3")]
    public void A_key_is_the_job_s_sequence_number_whatever_suffix_or_element(string id, string key) =>
        Assert.Equal(key, SubmittedJobs.Key(id));

    [Fact]
    public async Task Recorded_ids_are_returned_per_pool_kept_while_listed_and_pruned_after_seven_days_unseen()
    {
        await _store.RecordSubmittedAsync("a", ["10[1].srv", "10[2].srv", "10[].srv"], T0, CancellationToken.None);
        await _store.RecordSubmittedAsync("a", ["11.srv"], T0, CancellationToken.None);
        await _store.RecordSubmittedAsync("b", ["20"], T0, CancellationToken.None);

        Assert.Equal(["10", "11"], (await _store.RecordedKeysAsync(["a"], CancellationToken.None)).Order(StringComparer.Ordinal));
        Assert.Equal(["10", "11", "20"], (await _store.RecordedKeysAsync(["a", "b"], CancellationToken.None)).Order(StringComparer.Ordinal));

        // Six days on, 10 is still listed; 11 is not. Eight days on: 11 (last known at submission) is pruned, 10 stays.
        await _store.SeenAsync(["a", "b"], ["10"], T0.AddDays(6), SubmittedJobs.Keep, CancellationToken.None);
        await _store.SeenAsync(["a"], [], T0.AddDays(8), SubmittedJobs.Keep, CancellationToken.None);
        Assert.Equal(["10"], await _store.RecordedKeysAsync(["a"], CancellationToken.None));

        // Pool b's listing was not read (a scheduler outage): its rows are not pruned however old.
        Assert.Equal(["20"], await _store.RecordedKeysAsync(["b"], CancellationToken.None));

        // Seven days after it was last listed, 10 goes too (and b, listed again, loses its old row).
        await _store.SeenAsync(["a", "b"], [], T0.AddDays(13).AddMinutes(1), SubmittedJobs.Keep, CancellationToken.None);
        Assert.Empty(await _store.RecordedKeysAsync(["a", "b"], CancellationToken.None));
    }

    [Fact]
    public async Task Recorded_ids_survive_closing_and_reopening_the_store()
    {
        await _store.RecordSubmittedAsync("a", ["7"], T0, CancellationToken.None);
        await _store.DisposeAsync();
        _store = await SqliteStateStore.OpenAsync(Path.Combine(_dir, "state"), CancellationToken.None);
        Assert.Equal(["7"], await _store.RecordedKeysAsync(["a"], CancellationToken.None));
    }
}
