Attribute VB_Name = "XlAddin"
Option Explicit
' Buttons and ribbon of the xl_addin master workbook.
' One Sub per button; each passes one fixed command to xlwings' RunPython.
' The work, and every message shown to the user (in Chinese), is in Python:
' xl_addin.excel.buttons. Ribbon callbacks (customUI onAction) call the same Subs.

Private Const HANDLERS As String = "import xl_addin.excel.buttons as b; b."
Private Const FILES_SHEET As String = "_files"

Public Sub ValidateRows()
    RunPython HANDLERS & "validate()"
End Sub

Public Sub ComputeTotals()
    RunPython HANDLERS & "compute()"
End Sub

Public Sub ConsolidateCounties()
    ' The picked paths go through a hidden sheet, not the command string,
    ' so no file name can change the Python command.
    If PickToFilesSheet() Then RunPython HANDLERS & "consolidate()"
End Sub

Public Sub GenerateReport()
    RunPython HANDLERS & "report()"
End Sub

Public Sub ImportLists()
    ' The list files go through the hidden sheet too.
    If PickToFilesSheet() Then RunPython HANDLERS & "import_lists()"
End Sub

Public Sub RecordRound()
    RunPython HANDLERS & "record_round()"
End Sub

Private Function PickToFilesSheet() As Boolean
    Dim files As Variant, sht As Worksheet, i As Long
    files = PickCountyFiles()
    If Not IsArray(files) Then Exit Function
    Set sht = ThisWorkbook.Worksheets(FILES_SHEET)
    sht.Cells.ClearContents
    For i = LBound(files) To UBound(files)
        sht.Cells(i - LBound(files) + 1, 1).Value = CStr(files(i))
    Next i
    PickToFilesSheet = True
End Function

' Ribbon callbacks: "As Object" rather than IRibbonControl keeps the project
' free of a reference to the Office type library.
Public Sub Ribbon_ValidateRows(ByVal control As Object)
    ValidateRows
End Sub

Public Sub Ribbon_ComputeTotals(ByVal control As Object)
    ComputeTotals
End Sub

Public Sub Ribbon_ConsolidateCounties(ByVal control As Object)
    ConsolidateCounties
End Sub

Public Sub Ribbon_GenerateReport(ByVal control As Object)
    GenerateReport
End Sub

Public Sub Ribbon_ImportLists(ByVal control As Object)
    ImportLists
End Sub

Public Sub Ribbon_RecordRound(ByVal control As Object)
    RecordRound
End Sub
