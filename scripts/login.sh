#!/usr/bin/env bash
# Signs in with a username and password and prints only the IdToken, so that
#   curl -H "Authorization: $(scripts/login.sh CLIENT EMAIL PASSWORD)" ...
# works. Against the local stack, set AWS_ENDPOINT_URL=http://127.0.0.1:9229.
set -euo pipefail

usage() {
  cat >&2 <<USAGE
usage: $0 <client-id> <email> [password]

Prints the IdToken for the user (password default: Testing1). A user who has never signed
in must first set a password with scripts/login_first.sh.
USAGE
  exit 2
}
[ $# -ge 2 ] && [ $# -le 3 ] || usage

client_id=$1 email=$2 password=${3:-Testing1}
endpoint=()
[ -n "${AWS_ENDPOINT_URL:-}" ] && endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")

token=$(aws "${endpoint[@]}" cognito-idp initiate-auth \
  --client-id "$client_id" \
  --auth-flow USER_PASSWORD_AUTH \
  --auth-parameters "USERNAME=$email,PASSWORD=$password" \
  --query AuthenticationResult.IdToken --output text)
if [ -z "$token" ] || [ "$token" = "None" ]; then
  echo "$0: the pool answered with a challenge, not tokens: run scripts/login_first.sh first" >&2
  exit 1
fi
echo "$token"
