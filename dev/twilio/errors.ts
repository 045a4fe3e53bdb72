/** Error bodies in the shape api.twilio.com answers with; keys in Twilio's order. */

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export const authenticateError = (): TwilioErrorBody => twilioError(401, 20003, 'Authenticate');

export const notFoundError = (path: string): TwilioErrorBody =>
  twilioError(404, 20404, `The requested resource ${path} was not found`);

export const methodNotAllowedError = (): TwilioErrorBody => twilioError(405, 20004, 'Method not allowed');
