# bash completion for bpftrace (the driver of this project).
# Install as /usr/share/bash-completion/completions/bpftrace, or source it.

_bpftrace_probe_types="BEGIN END tracepoint: rawtracepoint: kprobe: kretprobe:
kfunc: kretfunc: fentry: fexit: uprobe: uretprobe: usdt: profile: interval:
software: hardware: watchpoint: asyncwatchpoint: iter:"

_bpftrace()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -n : || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
	fi

	case $prev in
	-e | --test | --no-feature)
		return ;;
	-f)
		COMPREPLY=($(compgen -W 'text json' -- "$cur")); return ;;
	-B)
		COMPREPLY=($(compgen -W 'line full none' -- "$cur")); return ;;
	-o | --emit-elf | --emit-llvm | --include | --aot)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-I)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-p)
		COMPREPLY=($(compgen -W "$(command ls /proc 2>/dev/null | grep '^[0-9]*$')" -- "$cur"))
		return ;;
	-c)
		COMPREPLY=($(compgen -c -- "$cur")); return ;;
	-l | -lv | -vl)
		# Probe names: the providers, then (as root) what the system lists.
		if [[ $cur == *:* && $EUID == 0 ]]; then
			COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" -l "$cur*" 2>/dev/null)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_bpftrace_probe_types" -- "$cur"))
		fi
		declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '-B -f -o -e -h --help -I --include -l -p -c
			--usdt-file-activation --unsafe --interpret -q --info -k -kk -V --version
			--no-warnings -v -vv -d -dd --emit-elf --emit-llvm' -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _bpftrace bpftrace
