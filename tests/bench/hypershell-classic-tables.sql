-- HyperShell's classic (pre-2.8) tables, as HyperShellTestDatabase.CreateSqlite makes them
-- (tests/Autopilot.Tests/DemandSources/HyperShell/BenchSchemaTests.cs keeps the two the same).
CREATE TABLE task (
  id TEXT NOT NULL, args TEXT NOT NULL,
  submit_id TEXT NOT NULL, submit_time DATETIME NOT NULL, submit_host TEXT,
  server_id TEXT, server_host TEXT, schedule_time DATETIME,
  client_id TEXT, client_host TEXT,
  command TEXT, start_time DATETIME, completion_time DATETIME, exit_status SMALLINT,
  outpath TEXT, errpath TEXT,
  attempt SMALLINT NOT NULL, retried BOOLEAN NOT NULL,
  waited INTEGER, duration INTEGER,
  previous_id TEXT, next_id TEXT,
  tag JSON NOT NULL,
  PRIMARY KEY (id), UNIQUE (previous_id), UNIQUE (next_id)
);
CREATE TABLE client (
  id TEXT NOT NULL, host TEXT NOT NULL, server_id TEXT NOT NULL, server_host TEXT NOT NULL,
  connected_at DATETIME, disconnected_at DATETIME, evicted BOOLEAN NOT NULL,
  PRIMARY KEY (id)
);
