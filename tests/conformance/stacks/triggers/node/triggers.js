// The Node.js triggers (CommonJS, async handlers): each logs the whole event it got on one line,
// then answers.
const log = (event) => console.log("TRIGGER_EVENT " + JSON.stringify(event));

const response = (event) => {
  if (event.response === null || typeof event.response !== "object") event.response = {};
  return event.response;
};

exports.postConfirmation = async (event) => {
  log(event);
  return event;
};

exports.postAuthentication = async (event) => {
  log(event);
  return event;
};

// Ask one CUSTOM_CHALLENGE at a time: tokens after a right answer, failure after three wrong ones.
exports.defineAuthChallenge = async (event) => {
  log(event);
  const session = event.request.session || [];
  const last = session[session.length - 1];
  const out = response(event);
  if (session.length === 0) {
    Object.assign(out, { challengeName: "CUSTOM_CHALLENGE", issueTokens: false, failAuthentication: false });
  } else if (last.challengeName === "CUSTOM_CHALLENGE" && last.challengeResult === true) {
    Object.assign(out, { issueTokens: true, failAuthentication: false });
  } else if (session.filter((s) => s.challengeResult === false).length >= 3) {
    Object.assign(out, { issueTokens: false, failAuthentication: true });
  } else {
    Object.assign(out, { challengeName: "CUSTOM_CHALLENGE", issueTokens: false, failAuthentication: false });
  }
  return event;
};

exports.createAuthChallenge = async (event) => {
  log(event);
  const email = event.request.userAttributes.email;
  Object.assign(response(event), {
    publicChallengeParameters: { question: "reverse your email" },
    privateChallengeParameters: { answer: email.split("").reverse().join("") },
    challengeMetadata: "REVERSE",
  });
  return event;
};

exports.verifyAuthChallengeResponse = async (event) => {
  log(event);
  response(event).answerCorrect = event.request.challengeAnswer === event.request.privateChallengeParameters.answer;
  return event;
};
