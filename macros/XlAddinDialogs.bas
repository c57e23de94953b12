Attribute VB_Name = "XlAddinDialogs"
Option Explicit
' The file picker of the consolidate button, in its own module so that
' tests can replace it (a dialog cannot be answered in a headless run).

Public Function PickCountyFiles() As Variant
    PickCountyFiles = Application.GetOpenFilename( _
        FileFilter:="Excel (*.xlsx;*.xlsm;*.xls),*.xlsx;*.xlsm;*.xls", MultiSelect:=True)
End Function
