# Completes command lines in a real interactive zsh, the way <Tab> does, and
# writes what zsh's completion system offered for each to OUT.
# Usage: zsh -f zsh_complete.zsh OUT SCRIPT LINE...
# SCRIPT is sourced in `zsh -f -i` running in a pseudo-terminal (zsh/zpty)
# after compinit; each LINE is typed followed by a Tab. A wrapper around the
# compadd builtin records the candidates that match what is on the line
# (compadd -O: zsh's own matching), under a "## LINE" heading, then adds them
# as usual. The caller bounds the run's time.
zmodload zsh/zpty || exit 4
out=$1 script=$2
shift 2
integer step=0
zpty z zsh -f -i || exit 5

# Type a command, then wait for the token it prints and the prompt after it:
# zle is reading again, so what is typed next is not typeahead it flushes.
run() {
  (( step++ ))
  zpty -w z "$1; print -r -- ZZ\$(( $step * 1 ))ZZ"
  zpty -r z _ "*ZZ${step}ZZ*READY> " || exit 6
}

run "PS1='READY> '"
run "autoload -U compinit && compinit -u -D"
run "source ${(q)script}"
run "compadd() { local -a _m; builtin compadd -O _m \"\$@\"; (( \$#_m )) && print -rl -- \$_m >> ${(q)out}; builtin compadd \"\$@\"; }"
for line in "$@"; do
  run "print -r -- ${(q):-## $line} >> ${(q)out}"
  zpty -wn z "$line"$'\t\C-u'   # Tab completes; Ctrl-U then clears the line
done
run "print -r -- '## end' >> ${(q)out}"
zpty -d z
