using Autopilot.IntegrationTests.Infrastructure;
using Npgsql;

namespace Autopilot.IntegrationTests.Smoke;

/// <summary>The test PostgreSQL answers over TCP with the generated password.</summary>
public sealed class PostgresSmokeTests
{
    [Fact]
    public async Task Query_runs_as_the_test_role_in_the_test_database()
    {
        await using var connection = await TestServices.OpenPostgresAsync(CancellationToken.None);

        await using (var who = new NpgsqlCommand("SELECT current_user, current_database(), current_setting('server_version_num')::int", connection))
        await using (var reader = await who.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(TestServices.PgUser, reader.GetString(0));
            Assert.Equal(TestServices.PgDatabase, reader.GetString(1));
            Assert.InRange(reader.GetInt32(2), 150000, 159999);
        }

        // A temporary table: visible to this session only, gone when it closes.
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE task (id serial, schedule_time timestamptz)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using (var insert = new NpgsqlCommand("INSERT INTO task (schedule_time) VALUES (NULL), (NULL), (now())", connection))
        {
            Assert.Equal(3, await insert.ExecuteNonQueryAsync());
        }

        await using var pending = new NpgsqlCommand("SELECT count(*) FROM task WHERE schedule_time IS NULL", connection);
        Assert.Equal(2L, await pending.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Wrong_password_is_refused()
    {
        var builder = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString())
        {
            Password = "not-" + TestServices.PgPassword(),
            Pooling = false,
        };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("28P01", ex.SqlState);
    }
}
