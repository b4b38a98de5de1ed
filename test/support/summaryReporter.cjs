/**
 * Prints one plain closing line, "jest: N passed, N failed, N skipped", so that CI (and a person
 * scrolling back) reads the outcome without parsing Jest's banner.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`;
    process.stdout.write(`\n${line}\n`);
  }
}
module.exports = SummaryReporter;
