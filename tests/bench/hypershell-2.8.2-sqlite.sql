-- HyperShell 2.8.2 schema for SQLite, exactly as `hs initdb` wrote it (../shared/fixtures/hypershell-2.8.2/sqlite-schema.sql,
-- `sqlite3 retries-capture.db .schema`); tests/bench/hypershell-tables.sh builds its tables from it.
CREATE TABLE task (
	id TEXT NOT NULL, 
	"group" INTEGER NOT NULL, 
	args TEXT NOT NULL, 
	submit_id TEXT NOT NULL, 
	submit_time DATETIME NOT NULL, 
	submit_host TEXT, 
	cores INTEGER, 
	memory INTEGER, 
	cores_max FLOAT, 
	memory_max FLOAT, 
	timeout INTEGER, 
	server_id TEXT, 
	server_host TEXT, 
	schedule_time DATETIME, 
	client_id TEXT, 
	client_host TEXT, 
	command TEXT, 
	start_time DATETIME, 
	completion_time DATETIME, 
	exit_status INTEGER, 
	outpath TEXT, 
	errpath TEXT, 
	csvpath TEXT, 
	attempt INTEGER NOT NULL, 
	retried BOOLEAN NOT NULL, 
	waited INTEGER, 
	duration INTEGER, 
	previous_id TEXT, 
	next_id TEXT, 
	tag JSON NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (previous_id), 
	UNIQUE (next_id)
);
CREATE INDEX index_tasks_unscheduled ON task ("group", schedule_time);
CREATE INDEX index_tasks_retries ON task (exit_status, retried);
CREATE TABLE client (
	id TEXT NOT NULL, 
	host TEXT NOT NULL, 
	server_id TEXT NOT NULL, 
	server_host TEXT NOT NULL, 
	connected_at DATETIME, 
	disconnected_at DATETIME, 
	evicted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX client_disconnected_at ON client (disconnected_at);
