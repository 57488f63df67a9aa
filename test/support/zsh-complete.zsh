# What zsh's completion system offers for a command line, using the
# completions in DIR: an interactive zsh on a pseudo-terminal (zpty) gets the
# line and a TAB; compadd is wrapped to append every match to OUT.
# usage: zsh -f zsh-complete.zsh DIR OUT 'infoblock read --ve'
zmodload zsh/zpty
dir=$1; out=$2; line=$3
zpty z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "compadd () { local -a __hits; builtin compadd -O __hits \"\$@\"; print -rl -- \$__hits >> ${(q)out}; builtin compadd \"\$@\" }"
waitfor() { for i in {1..300}; do [[ -e $1 ]] && return 0; sleep 0.1; done; return 1 }
# Typeahead sent while compinit still runs may be dropped: wait for the prompt first.
zpty -w z "print ready > ${(q)out}.ready"
waitfor $out.ready || exit 1
zpty -w -n z "$line"$'\t'
# Input is handled in order: once this marker is written, the completion has run.
zpty -w -n z $'\C-e\C-u'
zpty -w z "print done > ${(q)out}.done"
waitfor $out.done
ok=$?
zpty -d z
exit $ok
