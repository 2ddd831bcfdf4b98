function(kitsune_placeholder)
endfunction()
