/** The migrations this build expects applied (a test checks it against migrations/). */
export const EXPECTED_MIGRATIONS = ["0000_init.sql"] as const;
