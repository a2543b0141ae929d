# SPDX-License-Identifier: Apache-2.0
# bash completion for ferry-doctor (installed as
# share/bash-completion/completions/ferry-doctor).
_ferry_doctor() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  local opts="--protocol --bucket --region --profile --addressing --header
    --ca-file --max-clock-skew
    --insecure-skip-tls-verify --output --json --help --version"
  case $prev in
    --protocol) COMPREPLY=($(compgen -W "tus s3 ietf auto" -- "$cur")); return ;;
    -o|--output) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --ca-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --addressing) COMPREPLY=($(compgen -W "auto path virtual" -- "$cur")); return ;;
    --bucket|--region|--profile|--max-clock-skew|-H|--header) return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts -H -o -h -V" -- "$cur"))
  fi
}
complete -F _ferry_doctor ferry-doctor
