import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who set the circuit breaker's override, and when: the override itself and
 * its reason were already stored, but an operator looking at a forced breaker
 * needs to know whom to ask before giving it back to the automatic count.
 */
export class AddOperatorTools1764500006000 implements MigrationInterface {
  name = 'AddOperatorTools1764500006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE continuity_circuit_breaker ADD COLUMN IF NOT EXISTS override_by text, ADD COLUMN IF NOT EXISTS override_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE continuity_circuit_breaker DROP COLUMN IF EXISTS override_by, DROP COLUMN IF EXISTS override_at`);
  }
}
