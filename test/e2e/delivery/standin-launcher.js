// Starts the built stand-in upstream CLI with the arguments in STANDIN_ARGS
// (AppProcess runs a script without arguments).
process.argv.push(...JSON.parse(process.env.STANDIN_ARGS || '[]'));
require('../../../dist/infra/standin-upstream/main.js');
