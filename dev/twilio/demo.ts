/** The demo account `main.ts` serves the sample recordings under; fixed so walkthroughs can name it. */
export const DEMO_ACCOUNT_SID = 'ACdec0de00000000000000000000000001';
export const DEMO_AUTH_TOKEN = 'dev-twilio-token';
