@echo off
rem Berth's CLI from the installed app: the app's own Electron runs it as Node, so no separate Node.js is needed.
rem setlocal keeps ELECTRON_RUN_AS_NODE out of the caller's shell; exit /b hands the exit code back to docker or the script.
setlocal
set ELECTRON_RUN_AS_NODE=1
"%~dp0..\..\Berth.exe" "%~dp0..\app\bin\%~n0.js" %*
exit /b %ERRORLEVEL%
