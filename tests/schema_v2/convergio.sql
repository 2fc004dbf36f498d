BEGIN TRANSACTION;
CREATE TABLE "escalation" ("id" INTEGER NOT NULL PRIMARY KEY, "task_id" INTEGER NOT NULL, "created_at" REAL NOT NULL, "reason" TEXT NOT NULL, "status" VARCHAR(255) NOT NULL, "decided_by" VARCHAR(255), "decided_at" REAL, "note" TEXT, "provider" VARCHAR(255), "model" VARCHAR(255), "summary" TEXT NOT NULL, FOREIGN KEY ("task_id") REFERENCES "task" ("id") ON DELETE CASCADE);
CREATE TABLE "event" ("id" INTEGER NOT NULL PRIMARY KEY, "ts" REAL NOT NULL, "level" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "plan_id" INTEGER, "task_id" INTEGER, "message" TEXT NOT NULL, "data" TEXT, FOREIGN KEY ("plan_id") REFERENCES "plan" ("id") ON DELETE CASCADE, FOREIGN KEY ("task_id") REFERENCES "task" ("id") ON DELETE CASCADE);
CREATE TABLE "gate_result" ("id" INTEGER NOT NULL PRIMARY KEY, "task_id" INTEGER, "wave_id" INTEGER, "run_id" INTEGER, "round" INTEGER NOT NULL, "gate" INTEGER NOT NULL, "name" VARCHAR(255) NOT NULL, "verdict" VARCHAR(255) NOT NULL, "evidence" TEXT NOT NULL, "created_at" REAL NOT NULL, FOREIGN KEY ("task_id") REFERENCES "task" ("id") ON DELETE CASCADE, FOREIGN KEY ("wave_id") REFERENCES "wave" ("id") ON DELETE CASCADE, FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE SET NULL);
CREATE TABLE "ledger" ("id" INTEGER NOT NULL PRIMARY KEY, "ts" REAL NOT NULL, "provider" VARCHAR(255) NOT NULL, "model" VARCHAR(255), "run_id" INTEGER, "kind" VARCHAR(255) NOT NULL, "usd" REAL NOT NULL, "premium" INTEGER NOT NULL, "premium_requests" REAL NOT NULL, "note" TEXT, FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE SET NULL);
CREATE TABLE "model" ("id" INTEGER NOT NULL PRIMARY KEY, "provider" VARCHAR(255) NOT NULL, "model_id" VARCHAR(255) NOT NULL, "tier" VARCHAR(255) NOT NULL, "multiplier" REAL NOT NULL, "input_usd_per_mtok" REAL, "output_usd_per_mtok" REAL, "privacy_safe" INTEGER NOT NULL, "enabled" INTEGER NOT NULL);
CREATE TABLE "plan" ("id" INTEGER NOT NULL PRIMARY KEY, "project_id" INTEGER NOT NULL, "name" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, "spec_path" TEXT, "created_at" REAL NOT NULL, "started_at" REAL, "finished_at" REAL, "updated_at" REAL NOT NULL, "runner_pid" INTEGER, "runner_started_at" REAL, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE);
INSERT INTO "plan" VALUES(1,1,'started','paused',NULL,1000000000.0,NULL,NULL,1000000000.0,NULL,NULL);
INSERT INTO "plan" VALUES(2,2,'fresh','todo',NULL,1000000000.0,NULL,NULL,1000000000.0,NULL,NULL);
INSERT INTO "plan" VALUES(3,3,'other','todo',NULL,1000000000.0,NULL,NULL,1000000000.0,NULL,NULL);
CREATE TABLE "project" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "path" TEXT NOT NULL, "privacy" VARCHAR(255) NOT NULL, "allowed_providers" TEXT, "base_branch" VARCHAR(255) NOT NULL, "created_at" REAL NOT NULL);
INSERT INTO "project" VALUES(1,'webapp','/srv/code/webapp','sensitive','["opencode"]','main',1.79609743092357611654e+09);
INSERT INTO "project" VALUES(2,'web','/srv/code/webapp','internal',NULL,'main',1.79609743092386436457e+09);
INSERT INTO "project" VALUES(3,'tools','/srv/code/tools','public',NULL,'main',1.79609743092404675482e+09);
CREATE TABLE "provider_health" ("id" INTEGER NOT NULL PRIMARY KEY, "provider" VARCHAR(255) NOT NULL, "checked_at" REAL NOT NULL, "state" VARCHAR(255) NOT NULL, "latency_ms" REAL, "detail" TEXT NOT NULL, "version" VARCHAR(255), "consecutive_failures" INTEGER NOT NULL, "cooldown_until" REAL, "last_error" TEXT);
CREATE TABLE "run" ("id" INTEGER NOT NULL PRIMARY KEY, "task_id" INTEGER NOT NULL, "provider" VARCHAR(255) NOT NULL, "model" VARCHAR(255) NOT NULL, "round" INTEGER NOT NULL, "status" VARCHAR(255) NOT NULL, "pid" INTEGER, "engine_pid" INTEGER, "argv" TEXT NOT NULL, "started_at" REAL NOT NULL, "finished_at" REAL, "exit_code" INTEGER, "error_class" VARCHAR(255), "log_path" TEXT, "input_tokens" INTEGER NOT NULL, "output_tokens" INTEGER NOT NULL, "cost_usd" REAL NOT NULL, "premium_requests" REAL NOT NULL, "fallback_from" VARCHAR(255), "route_reasons" TEXT NOT NULL, FOREIGN KEY ("task_id") REFERENCES "task" ("id") ON DELETE CASCADE);
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL);
INSERT INTO "schema_version" VALUES(1,1000000000.0);
INSERT INTO "schema_version" VALUES(2,1000000000.0);
CREATE TABLE "task" ("id" INTEGER NOT NULL PRIMARY KEY, "plan_id" INTEGER NOT NULL, "wave_id" INTEGER NOT NULL, "code" VARCHAR(255) NOT NULL, "title" TEXT NOT NULL, "prompt" TEXT NOT NULL, "type" VARCHAR(255) NOT NULL, "priority" VARCHAR(255) NOT NULL, "privacy" VARCHAR(255) NOT NULL, "executor_agent" VARCHAR(255), "model" VARCHAR(255), "requested_agent" VARCHAR(255), "requested_model" VARCHAR(255), "route_reasons" TEXT NOT NULL, "estimate_usd" REAL NOT NULL, "files" TEXT NOT NULL, "verify" TEXT NOT NULL, "depends_on" TEXT NOT NULL, "timeout_s" REAL, "status" VARCHAR(255) NOT NULL, "round" INTEGER NOT NULL, "blocked_reason" TEXT, "worktree" TEXT, "branch" VARCHAR(255), "result_text" TEXT, "validated_by" VARCHAR(255), "validated_at" REAL, "created_at" REAL NOT NULL, "updated_at" REAL NOT NULL, FOREIGN KEY ("plan_id") REFERENCES "plan" ("id") ON DELETE CASCADE, FOREIGN KEY ("wave_id") REFERENCES "wave" ("id") ON DELETE CASCADE);
INSERT INTO "task" VALUES(1,1,1,'T1','t','p','coding','P1','internal',NULL,NULL,NULL,NULL,'[]',0.0,'[]','[]','[]',NULL,'queued',1,NULL,'/home/u/.convergio/worktrees/1/T1','convergio/1/T1/work',NULL,NULL,NULL,1000000000.0,1000000000.0);
INSERT INTO "task" VALUES(2,2,2,'T1','t','p','coding','P1','internal',NULL,NULL,NULL,NULL,'[]',0.0,'[]','[]','[]',NULL,'pending',1,NULL,NULL,NULL,NULL,NULL,NULL,1000000000.0,1000000000.0);
CREATE TABLE "wave" ("id" INTEGER NOT NULL PRIMARY KEY, "plan_id" INTEGER NOT NULL, "seq" INTEGER NOT NULL, "name" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, "branch" VARCHAR(255), "updated_at" REAL NOT NULL, FOREIGN KEY ("plan_id") REFERENCES "plan" ("id") ON DELETE CASCADE);
INSERT INTO "wave" VALUES(1,1,1,'w1','running','convergio/1/wave-1',1000000000.0);
INSERT INTO "wave" VALUES(2,2,1,'w1','pending',NULL,1000000000.0);
CREATE UNIQUE INDEX "project_name" ON "project" ("name");
CREATE INDEX "plan_project_id" ON "plan" ("project_id");
CREATE INDEX "plan_status" ON "plan" ("status");
CREATE INDEX "wave_plan_id" ON "wave" ("plan_id");
CREATE UNIQUE INDEX "wave_plan_id_seq" ON "wave" ("plan_id", "seq");
CREATE INDEX "task_plan_id" ON "task" ("plan_id");
CREATE INDEX "task_wave_id" ON "task" ("wave_id");
CREATE INDEX "task_status" ON "task" ("status");
CREATE INDEX "task_updated_at" ON "task" ("updated_at");
CREATE UNIQUE INDEX "task_plan_id_code" ON "task" ("plan_id", "code");
CREATE INDEX "escalation_task_id" ON "escalation" ("task_id");
CREATE INDEX "escalation_status" ON "escalation" ("status");
CREATE INDEX "event_ts" ON "event" ("ts");
CREATE INDEX "event_kind" ON "event" ("kind");
CREATE INDEX "event_plan_id" ON "event" ("plan_id");
CREATE INDEX "event_task_id" ON "event" ("task_id");
CREATE INDEX "run_task_id" ON "run" ("task_id");
CREATE INDEX "run_status" ON "run" ("status");
CREATE INDEX "gate_result_task_id" ON "gate_result" ("task_id");
CREATE INDEX "gate_result_wave_id" ON "gate_result" ("wave_id");
CREATE INDEX "gate_result_run_id" ON "gate_result" ("run_id");
CREATE INDEX "ledger_ts" ON "ledger" ("ts");
CREATE INDEX "ledger_run_id" ON "ledger" ("run_id");
CREATE UNIQUE INDEX "model_provider_model_id" ON "model" ("provider", "model_id");
CREATE UNIQUE INDEX "provider_health_provider" ON "provider_health" ("provider");
CREATE TRIGGER task_done_insert_guard BEFORE INSERT ON task
WHEN NEW.status = 'done'
BEGIN
    SELECT RAISE(ABORT, 'task may become done only through Thor or an approved escalation');
END;
CREATE TRIGGER task_touch AFTER UPDATE ON task
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE task SET updated_at = ((julianday('now') - 2440587.5) * 86400.0) WHERE id = NEW.id;
END;
CREATE TRIGGER wave_touch AFTER UPDATE ON wave
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE wave SET updated_at = ((julianday('now') - 2440587.5) * 86400.0) WHERE id = NEW.id;
END;
CREATE TRIGGER plan_touch AFTER UPDATE ON plan
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE plan SET updated_at = ((julianday('now') - 2440587.5) * 86400.0) WHERE id = NEW.id;
END;
CREATE TRIGGER task_done_guard BEFORE UPDATE OF status ON task
WHEN NEW.status = 'done' AND OLD.status IS NOT 'done' AND NOT COALESCE(
    (NEW.validated_by IS 'thor'
     AND EXISTS (SELECT 1 FROM gate_result g WHERE g.task_id = NEW.id
                 AND g.round = NEW.round AND g.verdict = 'pass')
     AND NOT EXISTS (SELECT 1 FROM gate_result g WHERE g.task_id = NEW.id
                     AND g.round = NEW.round AND g.verdict = 'fail'))
    OR (COALESCE(NEW.validated_by, '') LIKE 'human:_%'
        AND EXISTS (SELECT 1 FROM escalation e WHERE e.task_id = NEW.id
                    AND e.status = 'approved')),
    0)
BEGIN
    SELECT RAISE(ABORT, 'task may become done only through Thor or an approved escalation');
END;
COMMIT;
