# bash completion for kitsune(1): subcommands, their options, the process ids of
# programs running under kitsune (their control sockets) and program versions (.so).
_kitsune_pids()
{
    local dir=${KITSUNE_DIR:-/tmp/kitsune-$(id -u)} s
    for s in "$dir"/*.sock; do
        [ -e "$s" ] && basename "$s" .sock
    done
}

_kitsune()
{
    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "run update status clean --help --version" -- "$cur"))
        return
    fi
    case $cmd in
    run)
        [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -f -X '!*.so' -- "$cur") \
                                              $(compgen -d -- "$cur"))
        ;;
    update)
        case $cur in
        -*) COMPREPLY=($(compgen -W "--json --check --tree --timeout --help" -- "$cur")) ;;
        *)  COMPREPLY=($(compgen -W "$(_kitsune_pids)" -- "$cur") \
                       $(compgen -f -X '!*.so' -- "$cur") $(compgen -d -- "$cur")) ;;
        esac
        ;;
    status)
        case $cur in
        -*) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
        *)  COMPREPLY=($(compgen -W "$(_kitsune_pids)" -- "$cur")) ;;
        esac
        ;;
    esac
}
complete -F _kitsune kitsune
