"""The text of each shell's hook: the ``naja`` function that evaluates ``naja shell activate`` output
in the calling shell, as micromamba's ``mamba.sh``/``mamba.fish``/``mamba.csh``/``mamba.xsh`` and its
``.bat``/``.ps1`` files do for ``micromamba``. Templates only; :mod:`naja.shell.shells` fills them in.
"""

from __future__ import annotations

# Every statement ends with ';' and no line holds a comment or a glob character: scripts write
# `eval $(naja shell hook -s dash)` unquoted, which joins the lines with spaces and globs each word.
POSIX = """\
__naja_exe() ( {exe} "$@" ; ) ;
__naja_hashr() {{ if test -n "${{ZSH_VERSION:+x}}" ; then \\rehash ; \
elif test -n "${{POSH_VERSION:+x}}" ; then : ; else \\hash -r ; fi ; }} ;
__naja_xctivate() {{ \\local __naja_script ; \
__naja_script="$(PS1="${{PS1:-}}" __naja_exe shell "$@" --shell {shell})" || \\return ; \
\\eval "$__naja_script" ; __naja_hashr ; }} ;
naja() {{ if test "$#" -eq 0 ; then __naja_exe ; \\return ; fi ; \
if test "$1" = activate || test "$1" = deactivate || test "$1" = reactivate ; then __naja_xctivate "$@" ; \
elif test "$1" = install || test "$1" = update || test "$1" = upgrade || test "$1" = remove \
|| test "$1" = uninstall ; then __naja_exe "$@" || \\return ; __naja_xctivate reactivate ; \
else __naja_exe "$@" ; fi ; }} ;
if test -z "${{CONDA_SHLVL+x}}" ; then \\export CONDA_SHLVL=0 ; \
if test -z "${{PS1+x}}" ; then PS1= ; fi ; fi ;
"""

# micromamba's completion for bash and zsh: the shell asks `naja completer WORDS...`.
BASH_COMPLETION = """\
_naja_bash_completions() { COMPREPLY=($(__naja_exe completer "${COMP_WORDS[@]:1:$COMP_CWORD}")) ; } ;
complete -o default -F _naja_bash_completions naja ;
"""

ZSH_COMPLETION = """\
if [[ -o interactive ]] ; then autoload -U +X compinit && compinit -u ; \
autoload -U +X bashcompinit && bashcompinit ; \
_naja_zsh_completions() { COMPREPLY=($(__naja_exe completer "${(@s: :)${(@s: :)COMP_LINE}:1}")) ; } ; \
complete -o default -F _naja_zsh_completions naja ; fi ;
"""

FISH = """\
function __naja_exe
    command {exe} $argv
end

function __naja_xctivate
    set -l __naja_script (__naja_exe shell $argv --shell fish)
    or return $status
    string join \\n -- $__naja_script | source
end

function naja --description 'naja: conda-compatible package and environment manager'
    if test (count $argv) -lt 1
        __naja_exe
        return $status
    end
    switch $argv[1]
        case activate deactivate reactivate
            __naja_xctivate $argv
        case install update upgrade remove uninstall
            __naja_exe $argv
            or return $status
            __naja_xctivate reactivate
        case '*'
            __naja_exe $argv
    end
end

function __naja_complete
    set -l words (commandline -opc) (commandline -ct)
    __naja_exe completer $words[2..-1]
end
complete -c naja -f -a '(__naja_complete)'

if not set -q CONDA_SHLVL
    set -gx CONDA_SHLVL 0
end
"""

FISH_PROMPT = """
if not functions -q __naja_fish_prompt_orig
    if functions -q fish_prompt
        functions -c fish_prompt __naja_fish_prompt_orig
        functions -e fish_prompt
    else
        function __naja_fish_prompt_orig
        end
    end
end

function __naja_return_status
    return $argv[1]
end

function fish_prompt
    set -l __naja_last_status $status
    if set -q CONDA_PROMPT_MODIFIER
        echo -n -s $CONDA_PROMPT_MODIFIER
    end
    __naja_return_status $__naja_last_status
    __naja_fish_prompt_orig
end
"""

POWERSHELL = """\
function global:__naja_exe {{
    & {exe} @args
}}

function global:__naja_xctivate {{
    $__naja_script = & {exe} shell @args --shell powershell
    if ($LASTEXITCODE -ne 0) {{ return }}
    if ($__naja_script) {{ Invoke-Expression ($__naja_script -join "`n") }}
}}

function global:naja {{
    if ($args.Count -lt 1) {{ __naja_exe; return }}
    switch ($args[0]) {{
        {{ $_ -in 'activate', 'deactivate', 'reactivate' }} {{ __naja_xctivate @args; break }}
        {{ $_ -in 'install', 'update', 'upgrade', 'remove', 'uninstall' }} {{
            __naja_exe @args
            if ($LASTEXITCODE -eq 0) {{ __naja_xctivate reactivate }}
            break
        }}
        default {{ __naja_exe @args }}
    }}
}}

Register-ArgumentCompleter -Native -CommandName naja -ScriptBlock {{
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = $commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object {{ $_.ToString() }}
    if ($wordToComplete -eq '') {{ $words = @($words) + '' }}
    & {exe} completer @words | ForEach-Object {{ $_ -split '\\s+' }} | Where-Object {{ $_ }}
}}

if (-not (Test-Path Env:CONDA_SHLVL)) {{ $Env:CONDA_SHLVL = '0' }}
"""

POWERSHELL_PROMPT = """
if (-not (Test-Path Function:\\__naja_prompt_orig)) {
    if (Test-Path Function:\\prompt) { ${Function:__naja_prompt_orig} = ${Function:prompt} }
    else { function global:__naja_prompt_orig { "PS $($executionContext.SessionState.Path.CurrentLocation)> " } }
}
function global:prompt {
    if ($Env:CONDA_PROMPT_MODIFIER) { Write-Host -NoNewline $Env:CONDA_PROMPT_MODIFIER }
    __naja_prompt_orig
}
"""

# csh has no functions: `naja` is an alias that picks what to do from its first word. The
# activation code goes through a temporary file that the alias sources (csh cannot keep quoted
# words inside a command substitution, so `eval "`...`"` would split a path holding a space). A
# `source` in an alias runs after the alias's other commands: the file removes itself. (csh
# applies the redirection of `if (false) cmd > f` too, hence `>>` after the first.)
CSH = """\
alias naja 'set __naja_args=(\\!*); set __naja_mode=exe; set __naja_st=0; set __naja_tmp=`mktemp`; \
if ("$__naja_args" =~ activate* || "$__naja_args" =~ deactivate* || "$__naja_args" =~ reactivate*) \
set __naja_mode=xctivate; \
if ("$__naja_args" =~ install* || "$__naja_args" =~ update* || "$__naja_args" =~ upgrade* \
|| "$__naja_args" =~ remove* || "$__naja_args" =~ uninstall*) set __naja_mode=reactivate; \
if ($__naja_mode == xctivate) {exe} shell $__naja_args:q --shell csh >! $__naja_tmp; \
if ($__naja_mode == xctivate) set __naja_st=$status; \
if ($__naja_mode != xctivate) {exe} $__naja_args:q; \
if ($__naja_mode != xctivate) set __naja_st=$status; \
if ($__naja_mode == reactivate && $__naja_st == 0) {exe} shell reactivate --shell csh >> $__naja_tmp; \
if ($__naja_mode != exe && $__naja_st == 0) echo "rm -f $__naja_tmp" >> $__naja_tmp; \
if ($__naja_mode == exe || $__naja_st != 0) rm -f $__naja_tmp; unset __naja_args; \
if ($__naja_mode != exe && $__naja_st == 0) source $__naja_tmp; (exit $__naja_st)';
if (! $?CONDA_SHLVL) setenv CONDA_SHLVL 0;
"""

XONSH = """\
import subprocess as __naja_subprocess
from xonsh.tools import unthreadable as __naja_unthreadable

__naja_exe_words = {exe_words}


def __naja_xctivate(args):
    proc = __naja_subprocess.run(__naja_exe_words + ['shell', *args, '--shell', 'xonsh'],
                                 env=__xonsh__.env.detype(), stdout=__naja_subprocess.PIPE)
    if proc.returncode != 0:
        return proc.returncode
    execx(proc.stdout.decode(), 'exec', __xonsh__.ctx, filename='naja shell ' + args[0])
    return 0


@__naja_unthreadable
def __naja_main(args, stdin=None):
    env = __xonsh__.env.detype()
    if args and args[0] in ('activate', 'deactivate', 'reactivate'):
        return __naja_xctivate(list(args))
    code = __naja_subprocess.call(__naja_exe_words + list(args), env=env)
    if code == 0 and args and args[0] in ('install', 'update', 'upgrade', 'remove', 'uninstall'):
        return __naja_xctivate(['reactivate'])
    return code


try:
    from xonsh.completers.tools import contextual_command_completer as __naja_ccc
    from xonsh.completers.completer import add_one_completer as __naja_add_completer

    @__naja_ccc
    def __naja_completer(ctx):
        if ctx.command != 'naja':
            return None
        words = [a.value for a in ctx.args[1:]] + [ctx.prefix]
        out = __naja_subprocess.run(__naja_exe_words + ['completer', *words], stdout=__naja_subprocess.PIPE,
                                    env=__xonsh__.env.detype()).stdout.decode().split()
        return set(out), False

    __naja_add_completer('naja', __naja_completer, '<bash')
except ImportError:
    pass

if 'CONDA_SHLVL' not in __xonsh__.env:
    $CONDA_SHLVL = '0'
aliases['naja'] = __naja_main
"""

# nushell cannot evaluate generated code: `naja shell activate -s nu` prints a record (JSON) of the
# variables to set (null: hide) and these commands load it, as micromamba's config.nu block does.
NU = """\
def --env "naja activate" [name?: string] {{
    let changes = (^{exe} shell activate --shell nu ($name | default "base") | from json)
    __naja_apply $changes
}}

def --env "naja deactivate" [] {{
    let changes = (^{exe} shell deactivate --shell nu | from json)
    __naja_apply $changes
}}

def --env "naja reactivate" [] {{
    let changes = (^{exe} shell reactivate --shell nu | from json)
    __naja_apply $changes
}}

def --env __naja_apply [changes: record] {{
    for var in ($changes | transpose key value | where value == null | get key) {{
        hide-env -i $var
    }}
    load-env ($changes | transpose key value | where value != null | transpose -r -d)
    if ($env.CONDA_PROMPT_MODIFIER? != null) and ($env.__NAJA_PROMPT_ORIG? == null) {{
        $env.__NAJA_PROMPT_ORIG = $env.PROMPT_COMMAND
        $env.PROMPT_COMMAND = {{|| $"($env.CONDA_PROMPT_MODIFIER? | default '')(do $env.__NAJA_PROMPT_ORIG)" }}
    }}
}}

if ($env.CONDA_SHLVL? == null) {{
    $env.CONDA_SHLVL = "0"
}}
"""

# --- cmd.exe: files written under the root prefix, as micromamba writes its condabin/*.bat ---

CMD_MAIN_BAT = """\
@REM naja for cmd.exe: activate/deactivate/reactivate change this cmd.exe session through
@REM _naja_activate.bat; other commands run naja. Written by 'naja shell init -s cmd.exe'.
@IF /I "%~1"=="activate" GOTO :xctivate
@IF /I "%~1"=="deactivate" GOTO :xctivate
@IF /I "%~1"=="reactivate" GOTO :xctivate
@CALL {exe} %*
@IF %ERRORLEVEL% NEQ 0 @EXIT /B %ERRORLEVEL%
@FOR %%C IN (install update upgrade remove uninstall) DO @IF /I "%~1"=="%%C" GOTO :reactivate
@EXIT /B 0
:reactivate
@CALL "%~dp0_naja_activate.bat" reactivate
@EXIT /B %ERRORLEVEL%
:xctivate
@CALL "%~dp0_naja_activate.bat" %*
@EXIT /B %ERRORLEVEL%
"""

CMD_ACTIVATE_HELPER_BAT = """\
@REM Runs 'naja shell ... --shell cmd.exe', which writes the activation to a temporary .bat file
@REM and prints its path; calls that file in this session, then removes it.
@SET "_NAJA_SCRIPT="
@FOR /F "usebackq delims=" %%i IN (`CALL {exe} shell %* --shell cmd.exe`) DO @SET "_NAJA_SCRIPT=%%i"
@IF "%_NAJA_SCRIPT%"=="" @EXIT /B 1
@IF NOT "%CONDA_PROMPT_MODIFIER%"=="" @CALL SET "PROMPT=%%PROMPT:%CONDA_PROMPT_MODIFIER%=%%"
@CALL "%_NAJA_SCRIPT%"
@DEL /F /Q "%_NAJA_SCRIPT%"
@SET "_NAJA_SCRIPT="
@SET "PROMPT=%CONDA_PROMPT_MODIFIER%%PROMPT%"
"""

CMD_HOOK_BAT = """\
@REM Puts condabin on PATH and defines the naja macro; run once per cmd.exe session.
@IF DEFINED CONDA_SHLVL GOTO :EOF
@FOR %%F IN ("%~dp0.") DO @SET "__naja_condabin=%%~fF"
@SET "PATH=%__naja_condabin%;%PATH%"
@SET "NAJA_ROOT_PREFIX={root}"
@DOSKEY naja="%__naja_condabin%\\naja.bat" $*
@SET "__naja_condabin="
@SET CONDA_SHLVL=0
"""

CMD_CONDABIN_ACTIVATE_BAT = """\
@CALL "%~dp0mamba_hook.bat"
@CALL "%~dp0naja.bat" activate %*
"""

CMD_SCRIPTS_ACTIVATE_BAT = """\
@CALL "%~dp0..\\condabin\\mamba_hook.bat"
@CALL "%~dp0..\\condabin\\naja.bat" activate %*
"""
