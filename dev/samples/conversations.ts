/**
 * The scripted call-center conversations behind the sample recordings. Speaker "A" is always the
 * agent and "B" the customer, which is how AssemblyAI labels them too when the agent speaks first.
 * Speakers strictly alternate: AssemblyAI merges consecutive speech of one speaker into one
 * utterance, so a script with two "A" turns in a row could never come back from it.
 */

export type Speaker = 'A' | 'B';

export interface ScriptLine {
  speaker: Speaker;
  text: string;
}

export interface Conversation {
  name: string;
  /** Both parties on their own channel (agent left, customer right), for multichannel transcription. */
  stereo: boolean;
  lines: ScriptLine[];
}

const A = (text: string): ScriptLine => ({ speaker: 'A', text });
const B = (text: string): ScriptLine => ({ speaker: 'B', text });

/** Billing dispute handled by the book: greeting, recording disclosure, identity check, refund, closing. */
const billingVerified: Conversation = {
  name: 'billing-verified',
  stereo: false,
  lines: [
    A('Thank you for calling Northwind Utilities, this is Sarah. Just so you know, this call may be recorded for quality and training purposes. How can I help you today?'),
    B("Hi Sarah. I'm looking at my latest bill, and it looks like I was charged twice for March."),
    A("I'm sorry to hear that, I understand how frustrating a double charge can be. I'd be happy to look into it for you. First I need to verify your identity. Can I have your full name and date of birth, please?"),
    B("Sure, it's Maria Lopez, and my date of birth is March fourth, nineteen eighty-six."),
    A('Thank you, Maria. And can you confirm the last four digits of your account number?'),
    B("It's four four one seven."),
    A("Perfect, you're verified. Let me pull up your billing history. Okay, I can see two payments of eighty-four dollars and twenty cents on March third. The second one is a duplicate."),
    B("Yes, that's exactly what I saw. I was worried my autopay was set up twice."),
    A('Good thought, but I checked and your autopay is set up only once. The duplicate came from a processing error on our side, and I apologize for that.'),
    B("Okay, that's a relief. So can I get that money back?"),
    A("Absolutely. I've just processed a refund of eighty-four dollars and twenty cents to the card ending in nine zero two one."),
    B('How long does that usually take?'),
    A("You should see it within three to five business days, and you'll receive a confirmation email shortly. Your reference number is R as in Robert, seven seven three zero two."),
    B('Great, thank you so much. That was a lot easier than I expected.'),
    A("I'm glad I could help. Is there anything else I can help you with today?"),
    B("No, that's everything. I really appreciate it."),
    A("You're very welcome, Maria. Thank you for calling Northwind Utilities, and have a great day."),
    B('You too, bye.'),
  ],
};

/** Late-fee complaint where the agent is curt and dismissive, skips disclosure and verification, and the customer escalates. */
const rudeAgent: Conversation = {
  name: 'rude-agent',
  stereo: false,
  lines: [
    A('Northwind, go ahead.'),
    B("Hi, um, I've been charged a thirty-five dollar late fee, but I paid my bill on time. I have my bank statement right here."),
    A("If there's a late fee, then the payment was late. That's how it works."),
    B("No, it wasn't late. I paid it on the twelfth, and the due date was the fifteenth."),
    A('Payments take three days to post. Not my problem if you paid at the last minute.'),
    B("The last minute? That's three days early! This is ridiculous."),
    A("Calm down. Yelling at me isn't going to change anything."),
    B("I'm not yelling, I'm frustrated. I've been a customer for eleven years and I've never been late."),
    A('Look, I already told you. The system says it posted on the sixteenth, so the fee stands.'),
    B("Can you at least waive it this once? It's thirty-five dollars."),
    A("No. We don't do waivers over the phone."),
    B('Then I want to speak to a supervisor.'),
    A("There's nobody available right now. You can call back tomorrow if you want."),
    B("This is unacceptable. Honestly, I'm about to cancel my service and switch providers."),
    A("Whatever, that's your choice. Cancellations are a different department."),
    B("Unbelievable. You haven't helped me at all."),
    A('Is that it?'),
    B("Yes, that's it. Terrible service."),
    A('Okay. Bye.'),
  ],
};

/** Connection drops fixed by a remote firmware update; good service, but no recording disclosure. */
const techSupport: Conversation = {
  name: 'tech-support',
  stereo: false,
  lines: [
    A('Good afternoon, thanks for calling Northwind Fiber technical support. My name is James. How can I help you?'),
    B("Hi James. My internet keeps dropping every twenty minutes or so, and it's been like this since yesterday. I work from home, and honestly I'm getting pretty frustrated."),
    A("I understand, that's really disruptive when you're working. Let's get it sorted out. Can I verify the account first? What's the service address and the phone number on the account?"),
    B("It's twelve Maple Street, apartment four, and the number is five five five, two zero one, three three eight nine."),
    A('That matches, thank you. I can see your router is a Northwind X5. Are the lights on the front solid white or blinking?'),
    B('Right now the internet light is blinking orange.'),
    A('Okay, blinking orange means it lost the connection to our network. May I place you on a brief hold while I run a line test?'),
    B('Sure, go ahead.'),
    A("Thank you for holding. The line test shows your router is running old firmware, which is known to cause these drops. I'm going to push an update and restart it remotely."),
    B('Okay. Will I lose the connection?'),
    A("Just for about three minutes while it restarts. The light will turn solid white again when it's done."),
    B('Alright, the light is solid white now.'),
    A('Perfect. The firmware is updated and the connection looks stable on my side. Could you try loading a website for me?'),
    B('Yep, pages are loading, and a speed test says three hundred megabits.'),
    A("That's what your plan should get. I've also opened ticket number eight four two six one, so if it drops again in the next forty-eight hours, a technician will call you back."),
    B('Okay, good. Thanks.'),
    A('My pleasure. Is there anything else I can help you with today?'),
    B('No, that was it.'),
    A('Alright, thanks for calling Northwind Fiber. Have a good rest of your day.'),
    B('You too, bye.'),
  ],
};

/** Stereo retention call: a friendly save with a cheaper plan, but the plan is changed without verifying the caller. */
const retentionDual: Conversation = {
  name: 'retention-dual',
  stereo: true,
  lines: [
    A('Hi, thank you for calling Northwind Streaming, this is Priya. This call is recorded for quality assurance. How may I help you?'),
    B("Hi Priya. I'd like to cancel my subscription. It's just gotten too expensive for me."),
    A("I'm sorry to hear that, and I completely understand, prices have gone up on a lot of things. Before you go, can I ask what you mostly watch?"),
    B('Mostly the documentaries, and some sports on weekends. But eighteen ninety-nine a month is too much.'),
    A('That makes sense. I can offer you our Basic plan at nine ninety-nine a month, which still includes documentaries and weekend sports.'),
    B("Oh, really? What's the catch?"),
    A('No catch. The only difference is that it streams on one screen at a time instead of four.'),
    B("It's just me, so that's fine. Okay, let's do that instead of cancelling."),
    A("Wonderful. I've switched your plan to Basic, effective from your next billing date on the first."),
    B('Great. Will I get an email about it?'),
    A("Yes, you'll receive a confirmation email within the hour, and your next bill will be nine ninety-nine."),
    B('Perfect, thank you.'),
    A("You're welcome. Is there anything else I can help you with today?"),
    B("No, that's all. Thanks for making it easy."),
    A('Happy to help. Thank you for being a Northwind customer, and have a wonderful evening.'),
    B('You too. Bye.'),
  ],
};

export const CONVERSATIONS: readonly Conversation[] = [billingVerified, rudeAgent, techSupport, retentionDual];
