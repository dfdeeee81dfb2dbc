import { mirrorSearchTsQuery, searchVectorSql } from './search-query';

describe('search SQL', () => {
  it('queries the same three configurations the vector is built from', () => {
    const q = mirrorSearchTsQuery('$1');
    const v = searchVectorSql({ subject: '$1', names: '$2', addresses: '$3', filenames: '$4', body: '$5' });
    for (const cfg of ['english', 'german', 'simple']) {
      expect(q).toContain(`'${cfg}', $1`);
      expect(v).toContain(`'${cfg}'`);
    }
    expect(v).toContain(`to_tsvector('german', coalesce($5, '')), 'D'`);
  });
});
