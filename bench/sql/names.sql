-- plan.units, every holder's name and quota, as SQL alone: the plan row (every plan read
-- reads it, for its version) and the rows in table order. The API keeps the rows in memory
-- and runs only the first statement.
SELECT "id", "version" FROM "plan" WHERE "year" = 2020;
SELECT u.name, q.quota FROM plan_quota q JOIN unit u ON u.id = q.unit_id
 WHERE q.plan_id = (SELECT id FROM plan WHERE year = 2020) ORDER BY q.section_rank, q.seq;
