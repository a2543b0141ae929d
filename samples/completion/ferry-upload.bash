# SPDX-License-Identifier: Apache-2.0
# bash completion for ferry-upload (installed as
# share/bash-completion/completions/ferry-upload).
_ferry_upload() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  local opts="--endpoint --protocol --header --metadata --name --recursive
    --state-dir --bucket --key --region --profile --addressing --content-type
    --guess-content-type --cache-control --content-disposition --storage-class
    --sse --sse-kms-key-id --object-header --multipart-threshold --part-size
    --parallel-parts
    --unsigned-payload --clock-offset --presign-command --chunk-size
    --request-size --memory-budget --parallel --compress --announce-sha256
    --max-send-rate --max-retries --retry-base --stall-timeout
    --max-clock-skew --on-change --discard-on-cancel --refresh-command
    --rules --blocked-extensions --max-files --ca-file --allow-origin
    --tls-min-version
    --insecure-skip-tls-verify --pending --resume-all --forget
    --discard-remote --output --json --verbose --quiet --help --version"
  case $prev in
    --protocol) COMPREPLY=($(compgen -W "tus s3 ietf auto" -- "$cur")); return ;;
    --compress) COMPREPLY=($(compgen -W "auto off 1 3 6 9 12 19" -- "$cur")); return ;;
    --on-change) COMPREPLY=($(compgen -W "fail restart" -- "$cur")); return ;;
    -o|--output) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --tls-min-version) COMPREPLY=($(compgen -W "1.2 1.3" -- "$cur")); return ;;
    --state-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --ca-file|--rules) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --sse) COMPREPLY=($(compgen -W "AES256 aws:kms" -- "$cur")); return ;;
    --endpoint|--metadata|--name|--bucket|--key|--region|--profile|--addressing|--part-size|\
    --content-type|--cache-control|--content-disposition|--storage-class|\
    --sse-kms-key-id|--object-header|--multipart-threshold|\
    --parallel-parts|--clock-offset|--presign-command|--chunk-size|\
    --request-size|--memory-budget|--parallel|--max-send-rate|--max-retries|\
    --retry-base|--stall-timeout|--max-clock-skew|--refresh-command|\
    --blocked-extensions|--max-files|--allow-origin|--forget|-H|--header)
      return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts -H -o -v -q -r -h -V" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _ferry_upload ferry-upload
