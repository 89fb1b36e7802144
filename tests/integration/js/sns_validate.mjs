// Validates SNS messages (a JSON array in the file named by argv[2]) with
// the npm sns-validator, as an HTTP endpoint behind SNS would: certificate
// fetched from SigningCertURL over https, host checked against argv[3]
// (a regular expression), SignatureVersion 1 or 2. A copy of each message
// with a changed Message must be refused. Prints a JSON summary; exits 1
// unless every message passes.
import { readFileSync } from 'node:fs';
import MessageValidator from 'sns-validator';

const messages = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const validator = new MessageValidator(new RegExp(process.argv[3]));
const validate = (m) => new Promise((resolve) => validator.validate(m, (err) => resolve(err)));

const summary = { valid: 0, invalid: [], tamperedAccepted: 0, versions: {} };
for (const m of messages) {
  const err = await validate(m);
  if (err) {
    summary.invalid.push(`${m.Type} ${m.MessageId}: ${err.message}`);
    continue;
  }
  summary.valid++;
  summary.versions[m.SignatureVersion] = (summary.versions[m.SignatureVersion] || 0) + 1;
  if (!(await validate({ ...m, Message: `${m.Message}!` }))) {
    summary.tamperedAccepted++;
  }
}
console.log(JSON.stringify(summary));
process.exit(summary.invalid.length === 0 && summary.tamperedAccepted === 0 ? 0 : 1);
