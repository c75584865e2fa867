def annotate_workbook(data, problems):
    raise NotImplementedError
