# Sourced by run.sh for the tables example: $1 the binary, $2 the database.
# schemathesis calls as `fuzzer`, an admin and loader, by Basic auth (and checks that
# requests without it are refused where the spec wants a user). Its quotas and rate
# limits answer 429 once spent, as the document says.
printf '%s\n' "fuzzer password" |
  "$1" users add fuzzer --role admin --role loader --password-stdin --db "$2" > /dev/null
extra+=(--auth "fuzzer:fuzzer password")
