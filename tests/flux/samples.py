"""Flux responses in InfluxDB 2's annotated CSV, as `/api/v2/query` writes them."""

#: Two blocks: a double `_value` in two tables (hosts a and b), then a long `_value` of another
#: measurement; the result name is in the `#default` row, as InfluxDB writes it.
TWO_BLOCKS = (
    "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string\r\n"
    "#group,false,false,true,true,false,false,true,true,true\r\n"
    "#default,_result,,,,,,,,\r\n"
    ",result,table,_start,_stop,_time,_value,_field,_measurement,host\r\n"
    ",,0,2021-04-22T16:10:00Z,2021-04-22T16:11:00Z,2021-04-22T16:10:10Z,45.5,usage,cpu,a\r\n"
    ",,0,2021-04-22T16:10:00Z,2021-04-22T16:11:00Z,2021-04-22T16:10:20.5Z,47,usage,cpu,a\r\n"
    ",,1,2021-04-22T16:10:00Z,2021-04-22T16:11:00Z,2021-04-22T16:10:10Z,12,usage,cpu,b\r\n"
    "\r\n"
    "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,long,string,string,string,boolean\r\n"
    "#group,false,false,true,true,false,false,true,true,true,false\r\n"
    "#default,_result,,,,,,,,,true\r\n"
    ",result,table,_start,_stop,_time,_value,_field,_measurement,host,ok\r\n"
    ",,2,2021-04-22T16:10:00Z,2021-04-22T16:11:00Z,2021-04-22T16:10:30Z,5,count,mem,a,false\r\n"
    ",,2,2021-04-22T16:10:00Z,2021-04-22T16:11:00Z,2021-04-22T16:10:40Z,,count,mem,a,\r\n"
    "\r\n"
)

#: What InfluxDB answers (with status 200) when the query fails while running.
ERROR_TABLE = (
    "#datatype,string,string\r\n"
    "#group,true,true\r\n"
    "#default,,\r\n"
    ",error,reference\r\n"
    ',"runtime error @1:1-1:32: from: bucket ""nope"" not found",\r\n'
    "\r\n"
)
