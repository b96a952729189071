; Inno Setup 6 script for the Windows installer of Switchover.
; Built by .github/workflows/package.yml on windows-latest after PyInstaller made packaging\dist\switchover\:
;   iscc /DAppVersion=0.1.0 packaging\windows\switchover.iss
; Output: packaging\dist\Switchover-<version>-setup.exe
; Untested outside CI (see packaging/README.md).

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z switchover.iss
#endif

#define AppName "Switchover"
#define AppId "io.github.switchover.Switchover"
#define BundleDir "..\dist\switchover"
; switchover.exe is the console CLI; switchoverw.exe the windowed tray app (same bundle).
#define AppExe "switchoverw.exe"

[Setup]
; A fixed AppId (not the name) identifies the app across upgrades; the doubled brace escapes Inno's constant syntax.
AppId={{9C2B7E4A-3F1D-4B8E-A6C5-5E0D2F7B1A93}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=The Switchover contributors
AppPublisherURL=https://github.com/switchover/switchover
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install by default (no UAC prompt); the user may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
SetupIconFile=..\build\icons\{#AppId}.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; `switchover` (the CLI) on PATH, so the change must reach running shells.
ChangesEnvironment=yes
; The tray app must not be running while its files are replaced.
CloseApplications=yes

[Tasks]
; Start-at-login is the app's own setting (HKCU Run key, switchover.ui.autostart), not an installer task.
Name: "addtopath"; Description: "Add the switchover command to PATH"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; The windowed executable: no console window flashes up for the tray app.
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"

[Registry]
; Per-user PATH entry for the console executable switchover.exe (removed again on uninstall).
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))
; The app's own start-at-login value (switchover.ui.autostart): never created here, removed on uninstall so it
; does not point at a deleted program.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: none; ValueName: "{#AppName}"; Flags: uninsdeletevalue dontcreatekey

[Run]
Filename: "{app}\{#AppExe}"; Description: "Launch {#AppName}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; Never remove user data (%APPDATA%\switchover, keychain entries): uninstall only stops the app.
Filename: "{sys}\taskkill.exe"; Parameters: "/F /IM {#AppExe}"; Flags: runhidden; RunOnceId: "StopApp"

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Path: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path) then
    Path := '';
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Path, Dir: string;
  P: Integer;
begin
  if CurUninstallStep <> usPostUninstall then
    exit;
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path) then
    exit;
  Dir := ';' + ExpandConstant('{app}');
  P := Pos(Uppercase(Dir), Uppercase(Path));
  if P > 0 then
  begin
    Delete(Path, P, Length(Dir));
    RegWriteExpandStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path);
  end;
end;
