/**
 * SQL for the lifetime a delivery row has left, in whole seconds (never
 * negative), evaluated when the row is held. The replay restores it as
 * expires_at = now() + held_remaining_seconds, so time spent in continuity
 * mode never counts against a message: no bounce however long the event lasts.
 * Expects the deliveries table aliased `d` (or unaliased).
 */
export const REMAINING_LIFETIME = `GREATEST(0, ceil(extract(epoch FROM (expires_at - now()))))::integer`;
