/**
 * The search vector mixes three text-search configurations: 'english' and
 * 'german' stem body and subject (our tenants write both), 'simple' keeps
 * addresses, names and file names as written. A query therefore has to be
 * stemmed the same three ways; this is the tsquery to match `search_vector`
 * with, given the SQL placeholder of the user's words.
 */
export function mirrorSearchTsQuery(param: string): string {
  return `(websearch_to_tsquery('english', ${param}) || websearch_to_tsquery('german', ${param}) || websearch_to_tsquery('simple', ${param}))`;
}

/**
 * The expression that fills `messages.search_vector`, over the placeholders of
 * the indexed fields. Weights: A subject, B people, C attachment names, D body.
 */
export function searchVectorSql(p: { subject: string; names: string; addresses: string; filenames: string; body: string }): string {
  return [
    `setweight(to_tsvector('english', coalesce(${p.subject}, '')), 'A')`,
    `setweight(to_tsvector('german', coalesce(${p.subject}, '')), 'A')`,
    `setweight(to_tsvector('simple', ${p.names}), 'B')`,
    `setweight(to_tsvector('english', ${p.names}), 'B')`,
    `setweight(to_tsvector('german', ${p.names}), 'B')`,
    `setweight(to_tsvector('simple', ${p.addresses}), 'B')`,
    `setweight(to_tsvector('simple', ${p.filenames}), 'C')`,
    `setweight(to_tsvector('english', coalesce(${p.body}, '')), 'D')`,
    `setweight(to_tsvector('german', coalesce(${p.body}, '')), 'D')`,
  ].join(' || ');
}
