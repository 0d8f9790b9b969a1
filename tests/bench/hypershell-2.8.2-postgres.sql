-- HyperShell 2.8.2 schema for PostgreSQL, the DDL of `pg_dump` after `hs initdb` (../shared/fixtures/hypershell-2.8.2/postgres.sql),
-- in schema public: tests/bench/hypershell-tables.sh rewrites "public." to its own schema.
CREATE TABLE public.client (
    id uuid NOT NULL,
    host text NOT NULL,
    server_id uuid NOT NULL,
    server_host text NOT NULL,
    connected_at timestamp with time zone,
    disconnected_at timestamp with time zone,
    evicted boolean NOT NULL
);
CREATE TABLE public.task (
    id uuid NOT NULL,
    "group" integer NOT NULL,
    args text NOT NULL,
    submit_id uuid NOT NULL,
    submit_time timestamp with time zone NOT NULL,
    submit_host text,
    cores smallint,
    memory integer,
    cores_max double precision,
    memory_max double precision,
    timeout integer,
    server_id uuid,
    server_host text,
    schedule_time timestamp with time zone,
    client_id uuid,
    client_host text,
    command text,
    start_time timestamp with time zone,
    completion_time timestamp with time zone,
    exit_status smallint,
    outpath text,
    errpath text,
    csvpath text,
    attempt smallint NOT NULL,
    retried boolean NOT NULL,
    waited integer,
    duration integer,
    previous_id uuid,
    next_id uuid,
    tag jsonb NOT NULL
);
ALTER TABLE ONLY public.client
    ADD CONSTRAINT client_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_next_id_key UNIQUE (next_id);
ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_previous_id_key UNIQUE (previous_id);
CREATE INDEX client_disconnected_at ON public.client USING btree (disconnected_at);
CREATE INDEX index_tasks_retries ON public.task USING btree (exit_status, retried);
CREATE INDEX index_tasks_unscheduled ON public.task USING btree ("group", schedule_time);
