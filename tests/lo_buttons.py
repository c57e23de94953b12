"""Fire the master workbook's buttons and ribbon actions in LibreOffice (run with the
system Python that has `uno`: /usr/bin/python3 tests/lo_buttons.py BOOK ACTIONS_JSON).

LibreOffice loads the .xlsm's VBA project as the `VBAProject` Basic library and
binds the VML form buttons to its Subs. This script replaces two modules with
stubs -- xlwings (RunPython records its argument instead of starting Python;
its Mac-only Dictionary class is removed) and XlAddinDialogs (the file picker returns two fixed paths) -- then fires
every button binding and every ribbon callback named in ACTIONS_JSON, and
prints a JSON report on stdout."""
import json
import os
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue

# RunPython appends its argument to cell F1 of the hidden _files sheet.
STUB_XLWINGS = """Option VBASupport 1
Public Function RunPython(PythonCommand As String)
    Dim cell As Object
    cell = ThisComponent.Sheets.getByName("_files").getCellByPosition(5, 0)
    cell.String = cell.String & PythonCommand & Chr(10)
End Function
"""
STUB_DIALOGS = """Option VBASupport 1
Public Function PickCountyFiles() As Variant
    PickCountyFiles = Array("C:\\counties\\a.xlsx", "C:\\counties\\b.xlsx")
End Function
"""


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            time.sleep(0.5)
    raise SystemExit("LibreOffice did not start")


def main():
    book, actions = os.path.abspath(sys.argv[1]), json.loads(sys.argv[2])
    profile = tempfile.mkdtemp(prefix="lo_profile_")
    pipe = f"xladdin_{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore", "--nologo",
                               f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {"buttons": [], "ribbon": {}, "modules": [], "errors": []}
    try:
        ctx = connect(pipe)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(book), "_blank", 0,
                                           (prop("Hidden", True), prop("MacroExecutionMode", 4)))
        out["sheets"] = list(doc.Sheets.ElementNames)
        libs = doc.BasicLibraries
        libs.loadLibrary("VBAProject")
        lib = libs.getByName("VBAProject")
        out["modules"] = sorted(lib.ElementNames)
        sources = {name: lib.getByName(name) for name in lib.ElementNames}
        out["subs"] = {name: [ln.split("(")[0].split()[-1] for ln in src.splitlines()
                              if ln.strip().startswith(("Public Sub ", "Sub ", "Public Function "))]
                       for name, src in sources.items() if name.startswith("XlAddin")}
        # LibreOffice Basic cannot compile xlwings' Windows/Mac code (Declare PtrSafe,
        # the Mac-only Dictionary class), and one module that fails to compile
        # disables the whole library; the stub stands in for both.
        lib.removeByName("Dictionary")
        for name, stub in (("xlwings", STUB_XLWINGS), ("XlAddinDialogs", STUB_DIALOGS)):
            lib.removeByName(name)
            lib.insertByName(name, stub)
        provider = doc.getScriptProvider()

        record = doc.Sheets.getByName("_files").getCellByPosition(5, 0)

        def fire(url, args=()):
            record.String = ""
            provider.getScript(url).invoke(args, (), ())
            return record.String

        for s in range(doc.Sheets.Count):
            sheet = doc.Sheets.getByIndex(s)
            forms = sheet.DrawPage.Forms
            for f in range(forms.Count):
                form = forms.getByIndex(f)
                for i in range(form.Count):
                    control = form.getByIndex(i)
                    events = [e.ScriptCode for e in form.getScriptEvents(i)]
                    entry = {"sheet": sheet.Name, "label": getattr(control, "Label", None), "scripts": events}
                    for url in dict.fromkeys(events):
                        try:
                            entry.setdefault("recorded", []).append(fire(url))
                        except Exception as exc:  # reported, the test fails on it
                            out["errors"].append(f"{url}: {exc}")
                    out["buttons"].append(entry)
        files = doc.Sheets.getByName("_files")
        out["files"] = [files.getCellByPosition(0, r).String for r in range(3)]
        for name in actions:
            url = f"vnd.sun.star.script:VBAProject.XlAddin.{name}?language=Basic&location=document"
            try:
                out["ribbon"][name] = fire(url, (doc,))   # any object stands in for IRibbonControl
            except Exception as exc:
                out["errors"].append(f"{name}: {exc}")
        doc.close(True)
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
        office.terminate()
        try:
            office.wait(20)
        except subprocess.TimeoutExpired:
            office.kill()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
