export interface CaughtMessage {
  id: number;
  receivedAt: Date;
  envelope: { mailFrom: false | { address: string }; rcptTo: { address: string }[] };
  parsed: import('mailparser').ParsedMail;
}
export interface MailCatcher {
  smtpUrl: string;
  webUrl: string;
  messages: CaughtMessage[];
  stop(): Promise<unknown>;
}
export declare function startMailCatcher(options?: { smtpPort?: number; webPort?: number }): Promise<MailCatcher>;
